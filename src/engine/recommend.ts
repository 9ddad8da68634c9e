/**
 * One recommendation request, end to end and pure apart from the ranker call: user state →
 * candidates → features → ranker → post-ranking → explanations. `hearth eval` calls this very
 * function; so does the engine service in the worker.
 */

import type { ExplanationStrings } from '../protocol/strings.ts';
import type { Rng } from '../shared/rng.ts';
import {
  type CandidateConfig,
  coldQuery,
  DEFAULT_CANDIDATE_CONFIG,
  generateCandidates,
} from './candidates.ts';
import type { EngineContext } from './context.ts';
import { type DenyList, explain, exploreReason, featureMeans } from './explain.ts';
import {
  candidateFeatures,
  collabScoresByRow,
  FEATURE_COUNT,
  freshnessOf,
  itemItemScoresByRow,
  type ScoringSignals,
} from './features.ts';
import {
  adjustScores,
  coldStartSelect,
  DEFAULT_POST_RANK_CONFIG,
  explorationSlot,
  mmrSelect,
  type PostRankConfig,
  reserveColdSlots,
} from './post-rank.ts';
import type { PromptSignal } from './prompt.ts';
import type { Ranker } from './ranker.ts';
import type { RankedItem } from './types.ts';
import type { UserState } from './user-state.ts';

/** Engine-wide scoring configuration. */
export interface RecommendConfig {
  readonly candidates: CandidateConfig;
  readonly post: PostRankConfig;
  readonly freshHalfLifeDays: number;
  readonly deny: DenyList;
}

/** Defaults (see docs/engine.md). */
export const DEFAULT_RECOMMEND_CONFIG: RecommendConfig = {
  candidates: DEFAULT_CANDIDATE_CONFIG,
  post: DEFAULT_POST_RANK_CONFIG,
  freshHalfLifeDays: 14,
  deny: { terms: [] },
};

/** One request's inputs. */
export interface RecommendInput {
  readonly limit: number;
  readonly now: number;
  readonly prompt?: PromptSignal | null;
  /** Item ids never to return (e.g. the item the page is showing). */
  readonly exclude?: readonly string[];
  /** Item id → times shown in this session without an interaction (fatigue). */
  readonly impressions?: ReadonlyMap<string, number>;
  readonly rng: Rng;
  /** The site's wording of the explanations (any template left out keeps its default). */
  readonly strings?: Partial<ExplanationStrings>;
}

/** Ranks the catalog for a user state; returns up to `limit` explained results. */
export async function recommendFor(
  context: EngineContext,
  state: UserState,
  ranker: Ranker,
  input: RecommendInput,
  config: RecommendConfig = DEFAULT_RECOMMEND_CONFIG,
): Promise<RankedItem[]> {
  const prompt = input.prompt ?? null;
  const signals: ScoringSignals = {
    collab: collabScoresByRow(context, state),
    itemItem: itemItemScoresByRow(context, state),
    freshness: freshnessOf(context, input.now, config.freshHalfLifeDays),
    prompt,
  };
  const excluded = new Set<number>();
  for (const id of input.exclude ?? []) {
    const row = context.rowOf.get(id);
    if (row !== undefined) excluded.add(row);
  }
  const rows = generateCandidates(context, state, signals, config.candidates, excluded);
  if (rows.length === 0 || input.limit <= 0) return [];
  const features = candidateFeatures(context, state, signals, rows);
  const raw = await ranker.score(features, rows.length);
  const scores = adjustScores(
    context,
    rows,
    raw,
    prompt,
    input.impressions ?? new Map(),
    config.post,
  );
  // A first visit without a prompt knows nothing of the visitor: start varied (categories take
  // turns) instead of with the ranker's near-ties, which follow catalog order.
  const firstVisit = state.cold && !prompt?.vector;
  const chosen = reserveColdSlots(
    context,
    rows,
    coldQuery(state, signals),
    firstVisit
      ? coldStartSelect(context, rows, scores, input.limit)
      : mmrSelect(context, rows, scores, input.limit, config.post.mmrLambda),
    config.post.coldSlots,
  );
  // A first visit's list is already spread over the catalog: no exploration slot in it.
  const { order, explored } = explorationSlot(
    chosen,
    rows.length,
    firstVisit ? 0 : config.post.exploration,
    input.rng,
  );
  const explainInput = {
    context,
    state,
    prompt,
    weights: ranker.weights,
    means: featureMeans(features, rows.length),
    deny: config.deny,
    ...(input.strings ? { strings: input.strings } : {}),
  };
  return order.map((index, position) => {
    const row = rows[index]!;
    const own = features.subarray(index * FEATURE_COUNT, (index + 1) * FEATURE_COUNT);
    const { reason, text } =
      position === explored
        ? exploreReason(config.deny, input.strings)
        : explain(explainInput, row, own);
    return { itemId: context.items[row]!.id, score: scores[index]!, reason, explanation: text };
  });
}
