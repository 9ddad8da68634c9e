/**
 * A simulated DAP release for offline evaluation: every visitor's report made with the real
 * client encoders (`src/wire/dap-measurement.ts`), summed, plus exactly the noise the DAP path
 * adds (one discrete Gaussian draw per entry from each of the two aggregators, σ from the task's
 * accounting). It skips the secret sharing and proofs, which change nothing in the sum, so the
 * private models can be measured without running the aggregators (`hearth eval --private-models`).
 */

import type { Release } from '../models/cooccurrence-build.ts';
import { NOISE_SHARES, taskParts } from '../models/private-tasks.ts';
import { sampleDiscreteGaussians, seededRandomBelow } from '../privacy/discrete-gaussian.ts';
import type { DapMeasurement } from '../protocol/dap.ts';
import { seededRng } from '../shared/rng.ts';
import { encodeItemHistogram, pairCountsEncoder } from '../wire/dap-measurement.ts';

/** Who reports: distinct histories and how many visitors hold each (a bootstrap repeats some). */
export interface Population {
  /** Each distinct visitor's positive items, oldest first. */
  readonly histories: readonly (readonly string[])[];
  /** How many reporting visitors have history i. */
  readonly copies: Uint32Array;
  readonly size: number;
}

/**
 * The population of `size` visitors: every history once when `size` equals their number, else
 * `size` draws with replacement (seeded), as a larger site with visitors like these would have.
 */
export function population(
  histories: readonly (readonly string[])[],
  size: number,
  seed: number,
): Population {
  const copies = new Uint32Array(histories.length);
  if (size === histories.length) copies.fill(1);
  else {
    const rng = seededRng(seed);
    for (let i = 0; i < size; i++) copies[Math.floor(rng() * histories.length)]! += 1;
  }
  return { histories, copies, size };
}

/**
 * The population of the visitors `visitors` (indices into `histories`, a visitor list that may
 * repeat a history, as a bootstrap draw does): each history's number of reporting visitors.
 */
export function populationOfVisitors(
  histories: readonly (readonly string[])[],
  visitors: readonly number[],
): Population {
  const copies = new Uint32Array(histories.length);
  for (const v of visitors) copies[v]! += 1;
  return { histories, copies, size: visitors.length };
}

/**
 * Each report of `m` for the population, summed (the aggregate before noise): what the
 * aggregators' sum would be without their noise. Pair counts are rounded stochastically per
 * visitor from one generator seeded with `seed`.
 */
export function exactSum(m: DapMeasurement, people: Population, seed: number): Float64Array {
  const out = new Float64Array(taskParts(m, 1).vdaf.length);
  if (m.kind === 'item-histogram') {
    // The histogram report is deterministic: one encoding per distinct history.
    people.histories.forEach((history, i) => {
      const copies = people.copies[i]!;
      if (copies === 0) return;
      encodeItemHistogram(m, history).forEach((v, c) => {
        out[c]! += copies * v;
      });
    });
  } else if (m.kind === 'pair-counts') {
    // Stochastic rounding: every visitor's report is drawn on its own, as each device would.
    const encode = pairCountsEncoder(m);
    const rng = seededRng(seed);
    people.histories.forEach((history, i) => {
      for (let k = 0; k < people.copies[i]!; k++)
        encode(history, rng).forEach((v, c) => {
          if (v !== 0) out[c]! += v;
        });
    });
  } else throw new Error(`no simulated release of ${m.kind} measurements`);
  return out;
}

/**
 * The release of a task measuring `m` at a cost of `rho` per visitor: the reports' sum plus each
 * aggregator's discrete Gaussian noise (seeded from `seed`).
 */
export function simulateRelease<M extends DapMeasurement>(
  taskId: string,
  m: M,
  rho: number,
  people: Population,
  seed: number,
): Release<M> {
  return releaseOfSum(taskId, m, rho, exactSum(m, people, seed), people.size, seed);
}

/**
 * The release of a task measuring `m` at a cost of `rho` per visitor from the exact sum of its
 * `reports` reports: each aggregator's discrete Gaussian noise at the task's σ added to a copy of
 * `exact` (one seeded draw per entry per aggregator, as the leader and the helper each add one).
 */
export function releaseOfSum<M extends DapMeasurement>(
  taskId: string,
  m: M,
  rho: number,
  exact: ArrayLike<number>,
  reports: number,
  seed: number,
): Release<M> {
  const { noise } = taskParts(m, rho);
  const sum = Float64Array.from(exact);
  for (let share = 0; share < NOISE_SHARES; share++) {
    const draws = sampleDiscreteGaussians(
      sum.length,
      noise.sigma,
      seededRandomBelow(seed * 7919 + share + 1),
    );
    draws.forEach((d, i) => {
      sum[i]! += Number(d);
    });
  }
  return { taskId, measurement: m, sigma: noise.sigma, rho: noise.rho, reports, sum };
}
