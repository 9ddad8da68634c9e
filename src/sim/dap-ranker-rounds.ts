/**
 * The ranker's DAP rounds in `hearth simulate --mode dap`: `rounds` ranker-update tasks one after
 * another, every visitor with a local ranking example reporting its clipped, quantised delta
 * against the current weights (one report per task), and after each the collector's FedAvg step
 * (server learning rate 1: the released mean delta is added). Through the aggregators the real
 * client and leader do this (src/server/dap/publish.ts); through the sum transport the same
 * client functions (`computeRankerDelta`, `encodeRankerDelta`) make each visitor's report and the
 * same decode and FedAvg step apply the released sum.
 */
import type { RankerGroup } from '../engine/ranker.ts';
import { computeRankerDelta, rankerColumns } from '../federated/ranker-update.ts';
import type { DapMeasurement } from '../protocol/dap.ts';
import { fedAvg } from '../server/strategy.ts';
import type { Rng } from '../shared/rng.ts';
import { decodeRankerSum, encodeRankerDelta } from '../wire/dap-measurement.ts';
import type { Reporting, TaskRelease } from './dap-reporting.ts';
import type { TaskTransport } from './dap-transport.ts';

type RankerUpdate = Extract<DapMeasurement, { kind: 'ranker-update' }>;

/** The ranker-update measurement: clip 0.5, scale 64, 5 local steps at lr 1 (as the LDP rounds). */
export const DAP_RANKER = { clip: 0.5, scale: 64, localSteps: 5, learningRate: 1 } as const;

/** Inputs of the rounds. */
export interface RankerRoundsInput {
  readonly reporting: Reporting;
  /** Each visitor's training user. */
  readonly visitors: readonly number[];
  /** Each user's ranking examples on the served models (none: the visitor sends nothing). */
  readonly groups: ReadonlyMap<number, readonly RankerGroup[]>;
  /** The trained features and their starting weights. */
  readonly features: readonly string[];
  readonly start: Float32Array;
  readonly rounds: number;
  readonly rhoPerRound: number;
  readonly transport: TaskTransport;
  readonly rng: Rng;
}

/** What the rounds did. */
export interface RankerRoundsResult {
  readonly params: Float32Array;
  readonly version: number;
  readonly releases: readonly TaskRelease<RankerUpdate>[];
}

/**
 * The exact sum of every visitor's report to `m` from `params` (sum transport; a visitor without
 * an example sends the empty report, which adds nothing).
 */
function exactDeltas(
  input: RankerRoundsInput,
  m: RankerUpdate,
  params: Float32Array,
): Float64Array {
  const layout = rankerColumns(m.features);
  const deltas = new Map<number, number[]>();
  const exact = new Float64Array(2 * m.features.length + 1);
  input.visitors.forEach((user, v) => {
    const groups = input.groups.get(user) ?? [];
    if (groups.length === 0) return;
    // A user's delta depends only on its examples and the weights: once per user, then each
    // visitor rounds it with its own randomness, as each device would.
    let delta = deltas.get(user);
    if (delta === undefined) {
      delta = Array.from(computeRankerDelta(layout, params, groups, m));
      deltas.set(user, delta);
    }
    encodeRankerDelta(m, delta, input.reporting.visitorRng(v)).forEach((x, i) => {
      exact[i]! += x;
    });
  });
  return exact;
}

/** Runs the rounds over the chosen transport. */
export async function runRankerRounds(input: RankerRoundsInput): Promise<RankerRoundsResult> {
  const { reporting, transport } = input;
  const viaAggregators = transport.transport === 'aggregators';
  const deployment = viaAggregators ? await reporting.aggregators() : null;
  let version =
    deployment === null ? 0 : await deployment.publishRanker(input.features, input.start);
  let params: Float32Array = Float32Array.from(input.start);
  const releases: TaskRelease<RankerUpdate>[] = [];
  for (let round = 0; round < input.rounds; round++) {
    const m: RankerUpdate = {
      kind: 'ranker-update',
      modelVersion: version,
      features: [...input.features],
      ...DAP_RANKER,
    };
    const released = await reporting.release(
      `ranker update ${round + 1}/${input.rounds}`,
      m,
      input.rhoPerRound,
      transport,
      input.rng,
      {
        local: (user) => ({ positiveItems: [], rankerGroups: input.groups.get(user) ?? [] }),
        exact: () => exactDeltas(input, m, params),
      },
    );
    releases.push(released);
    if (deployment !== null) ({ version, params } = await deployment.ranker());
    else {
      const { mean } = decodeRankerSum(m, Array.from(released.release.sum));
      params = fedAvg().aggregate({
        global: params,
        updates: [Float32Array.from(mean)],
        state: [],
      }).params;
      version += 1;
    }
  }
  return { params, version, releases };
}
