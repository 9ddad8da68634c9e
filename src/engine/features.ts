/** Ranking features of candidate items, in the fixed order the ranker model expects. */

import { dot, dotRow } from '../shared/vector-math.ts';
import { collabUserVector } from './collab-model.ts';
import { type EngineContext, itemVector } from './context.ts';
import { cooccurrenceScores } from './cooccurrence-model.ts';
import type { PromptSignal } from './prompt.ts';
import { sequenceScores } from './sequence-model.ts';
import type { UserState } from './user-state.ts';

/** Feature names in column order (the ranker manifest repeats them). */
export const FEATURE_NAMES = [
  'sim_long',
  'sim_short',
  'sim_recent',
  'collab',
  'popularity',
  'freshness',
  'category',
  'seen',
  'sim_negative',
  'sim_prompt',
  'item_item',
] as const;

/** One feature's name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Number of features per candidate. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Column of a feature. */
export function featureIndex(name: FeatureName): number {
  return FEATURE_NAMES.indexOf(name);
}

/** Per-request signals shared by every candidate. */
export interface ScoringSignals {
  /** Collab score per context row (NaN where the model lacks the item), or null. */
  readonly collab: Float32Array | null;
  /** Sequence (item-item) score per context row (NaN where the model lacks the item), or null. */
  readonly itemItem: Float32Array | null;
  /** Freshness in [0, 1] of a row (computed on demand: only candidates need it). */
  readonly freshness: (row: number) => number;
  readonly prompt: PromptSignal | null;
}

/** Freshness of a row: `0.5^(age / halfLife)` for items with `createdAt`, else 0. */
export function freshnessOf(
  context: EngineContext,
  now: number,
  halfLifeDays: number,
): (row: number) => number {
  return (row) => {
    const createdAt = context.items[row]?.createdAt;
    if (createdAt === undefined) return 0;
    const days = Math.max(0, now - createdAt) / 86_400_000;
    return 0.5 ** (days / halfLifeDays);
  };
}

/** Collab score per context row for this user (NaN for cold items), or null without a model. */
export function collabScoresByRow(context: EngineContext, state: UserState): Float32Array | null {
  const model = context.collab;
  if (!model || state.collabHistory.length === 0) return null;
  const user = collabUserVector(model, state.collabHistory);
  const out = new Float32Array(context.items.length);
  for (let row = 0; row < out.length; row++) {
    const c = context.collabRow[row]!;
    out[row] = c < 0 ? Number.NaN : model.bias[c]! + dotRow(model.target, model.dims, c, user);
  }
  return out;
}

/**
 * Item-item score per context row for this user (NaN for items the model lacks), or null: the
 * sequence model when one is loaded, else the private item-item model learned from DP releases.
 */
export function itemItemScoresByRow(context: EngineContext, state: UserState): Float32Array | null {
  const model = context.sequence;
  if (!model) return privateItemItemScores(context, state);
  if (state.sequenceHistory.length === 0) return null;
  return byContextRow(sequenceScores(model, state.sequenceHistory), context.sequenceRow);
}

/** The private item-item model's scores per context row, or null without the model or history. */
function privateItemItemScores(context: EngineContext, state: UserState): Float32Array | null {
  const model = context.cooccurrence;
  if (!model || state.cooccurrenceHistory.length === 0) return null;
  const scores = cooccurrenceScores(
    model,
    state.cooccurrenceHistory,
    context.cooccurrenceCategories,
  );
  return byContextRow(scores, context.cooccurrenceRow);
}

/** Model-row scores spread over context rows (NaN where the model lacks the item). */
function byContextRow(scores: Float32Array, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let row = 0; row < rows.length; row++) {
    const r = rows[row]!;
    out[row] = r < 0 ? Number.NaN : scores[r]!;
  }
  return out;
}

/** Mean and max of `values` over `rows`, skipping NaN (0 and 0 when none). */
function statsOver(
  values: ArrayLike<number> | null,
  rows: readonly number[],
): { mean: number; max: number } {
  let sum = 0;
  let count = 0;
  let max = 0;
  if (values) {
    for (const row of rows) {
      const v = values[row]!;
      if (Number.isNaN(v)) continue;
      sum += v;
      count++;
      if (v > max) max = v;
    }
  }
  return { mean: count > 0 ? sum / count : 0, max };
}

/** Builds the n × FEATURE_COUNT matrix (row-major) for the candidate rows. */
export function candidateFeatures(
  context: EngineContext,
  state: UserState,
  signals: ScoringSignals,
  rows: readonly number[],
): Float32Array {
  const out = new Float32Array(rows.length * FEATURE_COUNT);
  // Items a model does not know (cold items) get the candidates' mean of that signal, so they are
  // neither boosted nor buried and their content features decide.
  const collabMean = statsOver(signals.collab, rows).mean;
  const popularityMean = statsOver(
    context.popularity,
    rows.filter((r) => context.cold[r] === 0),
  ).mean;
  // Item-item scores are scaled by the candidates' maximum so every request has the same range.
  const itemItem = statsOver(signals.itemItem, rows);
  const itemItemScale = itemItem.max > 0 ? 1 / itemItem.max : 0;
  rows.forEach((row, i) => {
    const v = itemVector(context, row);
    const f = out.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
    f[0] = state.long ? dot(v, state.long) : 0;
    f[1] = state.short ? dot(v, state.short) : 0;
    let recent = 0;
    for (const r of state.recentRows) recent = Math.max(recent, dot(v, itemVector(context, r)));
    f[2] = recent;
    const c = signals.collab?.[row];
    f[3] = c === undefined || Number.isNaN(c) ? collabMean : c;
    f[4] = context.cold[row] === 1 ? popularityMean : context.popularity[row]!;
    f[5] = signals.freshness(row);
    let category = 0;
    for (const name of context.items[row]!.categories)
      category += state.categoryAffinity.get(name) ?? 0;
    f[6] = category;
    f[7] = Math.log1p(state.seen.get(row) ?? 0);
    f[8] = state.negative ? dot(v, state.negative) : 0;
    f[9] = signals.prompt?.vector ? dot(v, signals.prompt.vector) : 0;
    const s = signals.itemItem?.[row];
    f[10] = (s === undefined || Number.isNaN(s) ? itemItem.mean : s) * itemItemScale;
  });
  return out;
}
