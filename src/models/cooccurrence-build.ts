/**
 * The collector's builder of the private item-item model (`cooccurrence`): from the released
 * noisy sums of the item-histogram task and, optionally, of the pair-count task, plus the
 * catalog's public fields, to the served layout and flat vector (src/protocol/cooccurrence.ts).
 * Pure post-processing: it reads nothing but released sums, the task documents and public data.
 *
 * 1. Popularity: the NPMLE empirical-Bayes posterior mean of the histogram (never negative).
 * 2. Kernel: a public numeric attribute (default `year`) when at least half the items have it,
 *    else the category sets when at least half have one, else none.
 * 3. Pairs: cells whose released count exceeds `threshold` times the sum's noise standard
 *    deviation (σ√2: both aggregators' noise); the rest carry no signal at these population sizes
 *    and are dropped, which is also what keeps the served model small.
 */

import { rhoToEpsilon } from '../privacy/rdp.ts';
import {
  COOCCURRENCE_FORMAT,
  type CooccurrenceKernel,
  type CooccurrenceLayout,
} from '../protocol/cooccurrence.ts';
import type { DapMeasurement } from '../protocol/dap.ts';
import { npmlePosteriorMean } from './empirical-bayes.ts';
import { NOISE_SHARES } from './private-tasks.ts';
import { attributeValues, hasCategories, type PublicItem } from './public-items.ts';

/** A released sum with what the collector knows of its task. */
export interface Release<M extends DapMeasurement> {
  readonly taskId: string;
  readonly measurement: M;
  /** Noise σ each aggregator added per entry (the task document's). */
  readonly sigma: number;
  /** zCDP ρ of one visitor's report (the task document's). */
  readonly rho: number;
  readonly reports: number;
  /** The released noisy sum, one value per entry. */
  readonly sum: ArrayLike<number>;
}

/** A released item histogram. */
export type HistogramRelease = Release<Extract<DapMeasurement, { kind: 'item-histogram' }>>;
/** A released pair-count vector. */
export type PairRelease = Release<Extract<DapMeasurement, { kind: 'pair-counts' }>>;

/** The model's published parameters (docs/private-learning.md). */
export interface CooccurrenceParams {
  /** Numeric catalog field of the attribute kernel, or null for none. */
  readonly attribute: string | null;
  /** Attribute kernel width, in the attribute's unit. */
  readonly tau: number;
  /** Exponent of the scored item's popularity in the kernel. */
  readonly gamma: number;
  /** Use the category kernel when the attribute is missing. */
  readonly categoryKernel: boolean;
  /** Weight of the pair part against the kernel (each scaled to a maximum of 1). */
  readonly mix: number;
  /** Popularity exponents of the history item (alpha) and the scored item (beta) for pairs. */
  readonly alpha: number;
  readonly beta: number;
  /** Pairs whose count is at most `threshold` noise standard deviations are dropped. */
  readonly threshold: number;
}

/** Defaults (validation-fold choices of the research, docs/private-learning.md). */
export const DEFAULT_COOCCURRENCE_PARAMS: CooccurrenceParams = {
  attribute: 'year',
  tau: 3,
  gamma: 0.5,
  categoryKernel: true,
  mix: 10,
  alpha: 0.7,
  beta: 0.3,
  threshold: 2,
};

/** The served artefact: the layout and its flat vector. */
export interface ServedCooccurrence {
  readonly layout: CooccurrenceLayout;
  readonly params: Float32Array;
}

/** Inputs of `buildCooccurrence`. */
export interface CooccurrenceBuildInput {
  readonly histogram: HistogramRelease;
  readonly pairs?: PairRelease | null;
  /** The catalog's public fields by item id. */
  readonly catalog: ReadonlyMap<string, PublicItem>;
  readonly params?: CooccurrenceParams;
  /** δ of the (ε, δ) the model states. */
  readonly delta: number;
}

/** Released sums that do not fit their task (wrong length, non-finite values). */
export class CooccurrenceBuildError extends Error {
  override readonly name = 'CooccurrenceBuildError';
}

/** Standard deviation of a released entry: each aggregator adds N_Z(0, σ²). */
export function releasedNoise(sigma: number): number {
  return sigma * Math.sqrt(NOISE_SHARES);
}

function checkSum(release: Release<DapMeasurement>, length: number): void {
  if (release.sum.length !== length)
    throw new CooccurrenceBuildError(
      `task ${release.taskId} released ${release.sum.length} values, its measurement has ${length}; collect it again.`,
    );
  for (let i = 0; i < length; i++)
    if (!Number.isFinite(release.sum[i]))
      throw new CooccurrenceBuildError(`task ${release.taskId}: entry ${i} is not finite.`);
}

/** The denoised popularity of a released histogram (what the model serves and the head is cut from). */
export function releasedPopularity(histogram: HistogramRelease): Float32Array {
  checkSum(histogram, histogram.measurement.items.length);
  return Float32Array.from(npmlePosteriorMean(histogram.sum, releasedNoise(histogram.sigma)));
}

/** Builds the served model from the releases and the catalog's public fields. */
export function buildCooccurrence(input: CooccurrenceBuildInput): ServedCooccurrence {
  const params = input.params ?? DEFAULT_COOCCURRENCE_PARAMS;
  const { histogram } = input;
  const itemIds = histogram.measurement.items;
  const n = itemIds.length;
  const popNoise = releasedNoise(histogram.sigma);
  const popularity = releasedPopularity(histogram);

  const values =
    params.attribute === null ? null : attributeValues(itemIds, input.catalog, params.attribute);
  let kernel: CooccurrenceKernel = { kind: 'none' };
  if (values !== null && params.attribute !== null)
    kernel = { kind: 'attribute', field: params.attribute, tau: params.tau, gamma: params.gamma };
  else if (params.categoryKernel && hasCategories(itemIds, input.catalog))
    kernel = { kind: 'category', gamma: params.gamma };

  const floor = Math.max(popNoise, 1);
  const pairs = input.pairs ? releasedPairs(input.pairs, itemIds, popularity, floor, params) : null;
  const m = pairs?.counts.length ?? 0;
  const out = new Float32Array(n + (values ? n : 0) + 3 * m);
  out.set(popularity, 0);
  if (values) out.set(values, n);
  if (pairs) {
    const at = n + (values ? n : 0);
    out.set(pairs.first, at);
    out.set(pairs.second, at + m);
    out.set(pairs.counts, at + 2 * m);
  }
  const sources = [histogram, ...(input.pairs ? [input.pairs] : [])].map((r) => ({
    taskId: r.taskId,
    kind: r.measurement.kind as 'item-histogram' | 'pair-counts',
    reports: r.reports,
    rho: r.rho,
    sigma: r.sigma,
  }));
  const rho = sources.reduce((t, s) => t + s.rho, 0);
  const layout: CooccurrenceLayout = {
    kind: 'cooccurrence',
    format: COOCCURRENCE_FORMAT,
    itemIds: [...itemIds],
    kernel,
    pairs: {
      count: m,
      mix: params.mix,
      alpha: params.alpha,
      beta: params.beta,
      floor,
      scale: pairs?.scale ?? 0,
    },
    sources,
    epsilon: rhoToEpsilon(rho, input.delta),
    delta: input.delta,
  };
  return { layout, params: out };
}

/**
 * The pair cells that clear the threshold, as rows of the histogram's items, with their counts in
 * weight units, and the scale that makes the largest normalised weight 1.
 */
function releasedPairs(
  release: PairRelease,
  itemIds: readonly string[],
  popularity: Float32Array,
  floor: number,
  params: CooccurrenceParams,
): { first: Float32Array; second: Float32Array; counts: Float32Array; scale: number } {
  const m = release.measurement;
  checkSum(release, m.cells.length);
  const rowOf = new Map(itemIds.map((id, row) => [id, row]));
  const noise = releasedNoise(release.sigma) / m.scale;
  const first: number[] = [];
  const second: number[] = [];
  const counts: number[] = [];
  let max = 0;
  const norm = (row: number) => Math.max(popularity[row]!, floor);
  m.cells.forEach(([a, b], c) => {
    const t = release.sum[c]! / m.scale;
    if (!(t > params.threshold * noise)) return;
    const ra = rowOf.get(m.items[a] ?? '');
    const rb = rowOf.get(m.items[b] ?? '');
    if (ra === undefined || rb === undefined || ra === rb) return;
    first.push(ra);
    second.push(rb);
    counts.push(t);
    const ab = t / (norm(ra) ** params.alpha * norm(rb) ** params.beta);
    const ba = t / (norm(rb) ** params.alpha * norm(ra) ** params.beta);
    max = Math.max(max, ab, ba);
  });
  return {
    first: Float32Array.from(first),
    second: Float32Array.from(second),
    counts: Float32Array.from(counts),
    scale: max > 0 ? 1 / max : 0,
  };
}
