/**
 * The device's half of a federated evaluation (docs/dap.md, "Federated evaluation"): the visitor's
 * last positive event is held out, the engine ranks for the history before it once with the served
 * model and once with the candidate, and the held-out item's rank in each top k is what the
 * comparison (src/models/promotion.ts `compareOnHeldOut`) turns into one report. Pure: the contexts,
 * the ranker and the events come in; nothing is stored or sent.
 */
import { seededRng } from '../shared/rng.ts';
import type { EngineContext } from './context.ts';
import type { Ranker } from './ranker.ts';
import { DEFAULT_RECOMMEND_CONFIG, type RecommendConfig, recommendFor } from './recommend.ts';
import type { EngineEvent } from './types.ts';
import { buildUserState, type UserStateConfig } from './user-state.ts';

/** One held-out event and every event before it (oldest first). */
export interface HeldOutSplit {
  readonly history: readonly EngineEvent[];
  readonly target: EngineEvent;
}

/** 0-based ranks of the held-out item in each model's top k (null: not in it). */
export interface HeldOutRanks {
  readonly servedRank: number | null;
  readonly candidateRank: number | null;
}

/**
 * The visitor's last positive event on a catalog item, held out, with the events before it; null
 * when the visitor has fewer than 2 positive events on catalog items (nothing to learn from, or
 * nothing to predict it from). `events` oldest first.
 */
export function holdOutLast(
  context: Pick<EngineContext, 'rowOf'>,
  events: readonly EngineEvent[],
  stateConfig: UserStateConfig,
): HeldOutSplit | null {
  const counts = (e: EngineEvent) =>
    (stateConfig.kindWeights[e.kind] ?? 0) > 0 && context.rowOf.has(e.itemId);
  for (let i = events.length - 1; i > 0; i--) {
    const target = events[i]!;
    if (!counts(target)) continue;
    const history = events.slice(0, i);
    return history.some(counts) ? { history, target } : null;
  }
  return null;
}

/**
 * The recommendation config of an evaluation: the engine's, without the exploration slot (a random
 * item in the list would make the two models' lists differ by chance, not by model).
 */
export function heldOutConfig(base: RecommendConfig = DEFAULT_RECOMMEND_CONFIG): RecommendConfig {
  return { ...base, post: { ...base.post, exploration: 0 } };
}

/**
 * The 0-based rank of the held-out item in the top `k` the engine serves for the history in
 * `context` (at the time of the held-out event, no prompt, no fatigue), or null when it is not
 * among them.
 */
export async function heldOutRank(
  context: EngineContext,
  split: HeldOutSplit,
  ranker: Ranker,
  k: number,
  stateConfig: UserStateConfig,
  config: RecommendConfig = DEFAULT_RECOMMEND_CONFIG,
): Promise<number | null> {
  const now = split.target.at;
  const state = buildUserState(context, split.history, stateConfig, now);
  const ranked = await recommendFor(
    context,
    state,
    ranker,
    { limit: k, now, rng: seededRng(0) },
    heldOutConfig(config),
  );
  const rank = ranked.findIndex((r) => r.itemId === split.target.itemId);
  return rank < 0 ? null : rank;
}

/** The held-out item's rank under the served and under the candidate context (same catalog). */
export async function heldOutRanks(
  contexts: { readonly served: EngineContext; readonly candidate: EngineContext },
  split: HeldOutSplit,
  ranker: Ranker,
  k: number,
  stateConfig: UserStateConfig,
  config: RecommendConfig = DEFAULT_RECOMMEND_CONFIG,
): Promise<HeldOutRanks> {
  return {
    servedRank: await heldOutRank(contexts.served, split, ranker, k, stateConfig, config),
    candidateRank: await heldOutRank(contexts.candidate, split, ranker, k, stateConfig, config),
  };
}
