/**
 * Ranking examples from a visitor's own events, for fitting the ranker: the candidates the
 * engine generates for a history, labelled by the item the visitor took next. Central fitting
 * (`train:ranker`, `hearth simulate`'s reference) and the device's federated ranker rounds build
 * them the same way.
 */
import { DEFAULT_CANDIDATE_CONFIG, generateCandidates } from './candidates.ts';
import type { EngineContext } from './context.ts';
import {
  candidateFeatures,
  collabScoresByRow,
  freshnessOf,
  itemItemScoresByRow,
} from './features.ts';
import type { RankerGroup } from './ranker.ts';
import type { EngineEvent } from './types.ts';
import { buildUserState, type UserStateConfig } from './user-state.ts';

/** Freshness half-life of the examples (the engine's default). */
const FRESH_HALF_LIFE_DAYS = 14;

/**
 * The example for `history` (events before the target, oldest first) and the target row, or
 * null when the candidates miss the target (nothing to learn from: the ranker never sees it).
 */
function rankingExample(
  context: EngineContext,
  history: readonly EngineEvent[],
  target: number,
  now: number,
  stateConfig: UserStateConfig,
): RankerGroup | null {
  const state = buildUserState(context, history, stateConfig, now);
  const signals = {
    collab: collabScoresByRow(context, state),
    itemItem: itemItemScoresByRow(context, state),
    freshness: freshnessOf(context, now, FRESH_HALF_LIFE_DAYS),
    prompt: null,
  };
  const rows = generateCandidates(context, state, signals, DEFAULT_CANDIDATE_CONFIG);
  const positive = rows.indexOf(target);
  if (positive < 0) return null;
  return {
    features: candidateFeatures(context, state, signals, rows),
    count: rows.length,
    positive,
  };
}

/**
 * Up to `count` examples from one visitor's events (oldest first): each of their last `count`
 * positive events in the catalog is held out in turn, with every event before it as the
 * history. A target needs at least one positive event before it.
 */
export function localRankingExamples(
  context: EngineContext,
  events: readonly EngineEvent[],
  stateConfig: UserStateConfig,
  count: number,
): RankerGroup[] {
  const positive = (e: EngineEvent) => (stateConfig.kindWeights[e.kind] ?? 0) > 0;
  const examples: RankerGroup[] = [];
  let taken = 0;
  for (let i = events.length - 1; i > 0 && taken < count; i--) {
    const event = events[i]!;
    const row = context.rowOf.get(event.itemId);
    if (!positive(event) || row === undefined) continue;
    taken++;
    const history = events.slice(0, i);
    if (!history.some(positive)) break;
    const example = rankingExample(context, history, row, event.at, stateConfig);
    if (example !== null) examples.push(example);
  }
  return examples;
}
