/**
 * The privately trained engine's steps in `hearth simulate --mode dap` (the collector's and the
 * devices' sides that are not transport): the candidate model built from the released sums, and
 * the federated evaluation that decides whether it is served.
 *
 * Federated evaluation (src/models/promotion.ts): each visitor ranks with the candidate and with
 * the served engine on its own held-out event (its last training event, which its statistics
 * reports left out) and reports which put it higher within the top `k` (`compareOnHeldOut`); the
 * collector promotes on the released noisy counts (`promotionDecision`).
 */
import type { EngineContext } from '../engine/context.ts';
import type { Ranker } from '../engine/ranker.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import { evaluationConfig, hearthTopK } from '../eval/hearth-method.ts';
import { type EngineCatalog, servedEngineContext } from '../eval/private-method.ts';
import type { Split } from '../eval/split.ts';
import {
  buildCooccurrence,
  type HistogramRelease,
  type PairRelease,
  releasedNoise,
} from '../models/cooccurrence-build.ts';
import {
  compareOnHeldOut,
  type PromotionDecision,
  promotionDecision,
} from '../models/promotion.ts';
import type { PublicItem } from '../models/public-items.ts';
import type { DapMeasurement } from '../protocol/dap.ts';
import type { Rng } from '../shared/rng.ts';
import {
  decodeEvaluationSum,
  type EvaluationOutcome,
  encodeEvaluation,
} from '../wire/dap-measurement.ts';
import type { Reporting, TaskRelease } from './dap-reporting.ts';
import type { TaskTransport } from './dap-transport.ts';
import type { ReportSection } from './sim-eval.ts';

type Evaluation = Extract<DapMeasurement, { kind: 'model-evaluation' }>;

/** An engine as a device runs it: the context (with the served models) and the ranker. */
export interface EngineView {
  readonly context: EngineContext;
  readonly ranker: Ranker;
}

/** The candidate model built from the releases, as a device would load it. */
export function candidateEngine(
  publicItems: ReadonlyMap<string, PublicItem>,
  catalog: EngineCatalog,
  releases: { readonly histogram: HistogramRelease; readonly pairs: PairRelease | null },
  delta: number,
): { context: EngineContext; summary: ReportSection } {
  const served = buildCooccurrence({
    histogram: releases.histogram,
    pairs: releases.pairs,
    catalog: publicItems,
    delta,
  });
  const { context, servedBytes } = servedEngineContext(served, catalog);
  const { kernel } = served.layout;
  return {
    context,
    summary: {
      kernel: kernel.kind === 'attribute' ? `attribute:${kernel.field}` : kernel.kind,
      pairsKept: served.layout.pairs.count,
      cells: releases.pairs?.measurement.cells.length ?? 0,
      servedBytes,
      modelEpsilon: served.layout.epsilon,
    },
  };
}

/** 0-based rank of `user`'s held-out item in the engine's top `k`, or null when absent. */
async function heldOutRank(
  engine: EngineView,
  heldOut: Split,
  user: number,
  k: number,
  userState: UserStateConfig,
): Promise<number | null> {
  const target = heldOut.itemIds[heldOut.test[user] ?? -1];
  const list = await hearthTopK(
    engine.context,
    heldOut,
    user,
    engine.ranker,
    userState,
    evaluationConfig(),
    k,
  );
  const rank = target === undefined ? -1 : list.indexOf(target);
  return rank < 0 ? null : rank;
}

/**
 * Each of `users`' outcome of the candidate against the served engine on their held-out item
 * (`heldOut`: the validation split, whose test item is each user's last training event); users
 * without one are absent (they report nothing).
 */
export async function heldOutOutcomes(
  heldOut: Split,
  users: Iterable<number>,
  candidate: EngineView,
  served: EngineView,
  k: number,
  userState: UserStateConfig,
): Promise<Map<number, EvaluationOutcome>> {
  const out = new Map<number, EvaluationOutcome>();
  for (const user of users) {
    if ((heldOut.test[user] ?? -1) < 0) continue;
    const servedRank = await heldOutRank(served, heldOut, user, k, userState);
    const candidateRank = await heldOutRank(candidate, heldOut, user, k, userState);
    out.set(user, compareOnHeldOut(servedRank, candidateRank, k));
  }
  return out;
}

/** Inputs of one federated evaluation. */
export interface FederatedEvaluationInput {
  readonly reporting: Reporting;
  /** Each visitor's training user. */
  readonly visitors: readonly number[];
  /** The split whose test item is each user's held-out event. */
  readonly heldOut: Split;
  readonly candidate: EngineView;
  readonly served: EngineView;
  /** The model name the task names. */
  readonly model: string;
  readonly k: number;
  readonly rho: number;
  readonly choose: (m: DapMeasurement, reports: number) => TaskTransport;
  readonly rng: Rng;
  readonly userState: UserStateConfig;
}

/**
 * The federated evaluation of `candidate` against `served`: every visitor's outcome on its
 * held-out event, one report each to a model-evaluation task (a visitor without a held-out event
 * sends the empty report), and the collector's decision on the released noisy counts.
 */
export async function federatedEvaluation(input: FederatedEvaluationInput): Promise<{
  release: TaskRelease<Evaluation>;
  /** The outcomes before noise (the simulation knows them; the collector never does). */
  exact: { candidate: number; served: number; tie: number };
  decision: PromotionDecision;
}> {
  const { visitors, k } = input;
  const m: Evaluation = {
    kind: 'model-evaluation',
    model: input.model,
    candidate: 1,
    served: 0,
    k,
  };
  const outcomes = await heldOutOutcomes(
    input.heldOut,
    new Set(visitors),
    input.candidate,
    input.served,
    k,
    input.userState,
  );
  const votes = [0, 0, 0];
  for (const user of visitors) {
    const outcome = outcomes.get(user);
    if (outcome === undefined) continue;
    encodeEvaluation(outcome).forEach((x, i) => {
      votes[i]! += x;
    });
  }
  const release = await input.reporting.release(
    'federated evaluation',
    m,
    input.rho,
    input.choose(m, visitors.length),
    input.rng,
    { exact: () => votes },
  );
  const counts = decodeEvaluationSum(Array.from(release.release.sum));
  return {
    release,
    exact: { candidate: votes[0]!, served: votes[1]!, tie: votes[2]! },
    decision: promotionDecision({ ...counts, noise: releasedNoise(release.release.sigma) }),
  };
}
