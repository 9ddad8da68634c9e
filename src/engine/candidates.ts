/**
 * Candidate generation: the union of semantic neighbours of the profile and of the latest item,
 * prompt matches, collaborative and item-item neighbours, a quota of cold items by content,
 * (on a first visit) the most typical items of each category, popular items and fresh items,
 * minus what the visitor already interacted with, rejected, or cannot get.
 */

import { dotRow, normalized, topIndices } from '../shared/vector-math.ts';
import { type EngineContext, itemVector } from './context.ts';
import type { ScoringSignals } from './features.ts';
import type { UserState } from './user-state.ts';

/** How many candidates each source contributes. */
export interface CandidateConfig {
  readonly semantic: number;
  readonly recent: number;
  readonly prompt: number;
  readonly collab: number;
  /** Top items of the sequence (item-item) model. */
  readonly itemItem: number;
  /** Reserved quota: cold items (no interaction history anywhere) nearest the profile's content. */
  readonly cold: number;
  readonly popular: number;
  readonly fresh: number;
  /**
   * First visit (no history, no prompt): the most typical items of each category, so the list
   * can start varied instead of with one category's first rows.
   */
  readonly starters: number;
  /** Leave out items the visitor already interacted with. */
  readonly excludeSeen: boolean;
}

/** Defaults (see docs/engine.md). */
export const DEFAULT_CANDIDATE_CONFIG: CandidateConfig = {
  semantic: 100,
  recent: 30,
  prompt: 150,
  collab: 200,
  itemItem: 200,
  cold: 20,
  popular: 50,
  fresh: 20,
  starters: 3,
  excludeSeen: true,
};

/** Most categories that contribute starters (the largest ones), so a huge taxonomy stays cheap. */
export const MAX_STARTER_CATEGORIES = 60;

/** Returns candidate rows (unique, in source order); `excluded` rows are never candidates. */
export function generateCandidates(
  context: EngineContext,
  state: UserState,
  signals: ScoringSignals,
  config: CandidateConfig,
  excluded: ReadonlySet<number> = new Set(),
): number[] {
  const skip = (row: number) =>
    state.rejected.has(row) ||
    excluded.has(row) ||
    context.items[row]?.available === false ||
    (config.excludeSeen && state.seen.has(row));
  const out = new Set<number>();
  const add = (rows: readonly number[]) => {
    for (const r of rows) out.add(r);
  };
  const profile = blend(state.long, state.short);
  if (profile) add(context.search.topK(profile, config.semantic, skip));
  const latest = state.recentRows[0];
  if (latest !== undefined)
    add(context.search.topK(itemVector(context, latest), config.recent, skip));
  if (signals.prompt?.vector) add(context.search.topK(signals.prompt.vector, config.prompt, skip));
  if (signals.collab) add(topIndices(signals.collab, config.collab, skip));
  const itemItem = signals.itemItem;
  if (itemItem) add(topIndices(itemItem, config.itemItem, (r) => skip(r) || itemItem[r] === 0));
  const query = coldQuery(state, signals);
  if (query && context.coldCount > 0 && config.cold > 0)
    add(nearestCold(context, query, config.cold, skip));
  // Before popular and fresh items: on equal scores the first visit's list prefers them.
  if (state.cold && !signals.prompt?.vector && config.starters > 0)
    add(starterRows(context, config.starters).filter((r) => !skip(r)));
  add(topIndices(context.popularity, config.popular, skip));
  add(newest(context, signals, config.fresh, skip));
  return [...out];
}

/** Per engine context: the starter rows of `perCategory` (computed once per catalog version). */
const startersByContext = new WeakMap<EngineContext, Map<number, number[]>>();

/**
 * The `perCategory` most typical rows of each category (highest cosine to the category's mean
 * vector), for the largest `MAX_STARTER_CATEGORIES` categories: what a first visit can start
 * from when nothing is known about the visitor. Items without a category form no group.
 */
export function starterRows(context: EngineContext, perCategory: number): number[] {
  const cached = startersByContext.get(context)?.get(perCategory);
  if (cached !== undefined) return cached;
  const groups = new Map<string, number[]>();
  context.items.forEach((item, row) => {
    const category = item.categories[0];
    if (category === undefined || category === '' || item.available === false) return;
    const rows = groups.get(category) ?? [];
    rows.push(row);
    groups.set(category, rows);
  });
  const largest = [...groups.values()]
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!)
    .slice(0, MAX_STARTER_CATEGORIES);
  const out: number[] = [];
  for (const rows of largest) {
    const mean = new Float32Array(context.dims);
    for (const r of rows) {
      const v = itemVector(context, r);
      for (let k = 0; k < mean.length; k++) mean[k]! += v[k]!;
    }
    const centre = normalized(mean) ?? mean;
    const typicality = Float32Array.from(rows, (r) =>
      dotRow(context.vectors, context.dims, r, centre),
    );
    out.push(...topIndices(typicality, perCategory).map((i) => rows[i]!));
  }
  const byCount = startersByContext.get(context) ?? new Map<number, number[]>();
  byCount.set(perCategory, out);
  startersByContext.set(context, byCount);
  return out;
}

/** The k freshest rows (freshness > 0) that are not skipped, walking the newest-first order. */
function newest(
  context: EngineContext,
  signals: ScoringSignals,
  k: number,
  skip: (row: number) => boolean,
): number[] {
  const out: number[] = [];
  for (const row of context.newestFirst) {
    if (out.length >= k) break;
    if (!skip(row) && signals.freshness(row) > 0) out.push(row);
  }
  return out;
}

/** What new (cold) items are matched against: the prompt, else the recent-content profile. */
export function coldQuery(state: UserState, signals: ScoringSignals): Float32Array | null {
  return signals.prompt?.vector ?? state.recent ?? state.long;
}

/** The k cold rows most similar to `query`, scanning only the cold rows (a small share). */
function nearestCold(
  context: EngineContext,
  query: Float32Array,
  k: number,
  skip: (row: number) => boolean,
): number[] {
  const { coldRows } = context;
  const scores = new Float32Array(coldRows.length);
  for (let i = 0; i < coldRows.length; i++)
    scores[i] = dotRow(context.vectors, context.dims, coldRows[i]!, query);
  return topIndices(scores, k, (i) => skip(coldRows[i]!)).map((i) => coldRows[i]!);
}

function blend(a: Float32Array | null, b: Float32Array | null): Float32Array | null {
  if (!a) return b;
  if (!b) return a;
  const sum = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) sum[i] = a[i]! + b[i]!;
  return normalized(sum);
}
