/**
 * Post-ranking: negation penalties from the prompt, fatigue for items shown often without an
 * interaction, MMR diversity (Carbonell & Goldstein, SIGIR 1998) and a seeded exploration slot.
 */
import type { Rng } from '../shared/rng.ts';
import { dot } from '../shared/vector-math.ts';
import { type EngineContext, itemVector } from './context.ts';
import type { PromptSignal } from './prompt.ts';

/** Post-ranking knobs. */
export interface PostRankConfig {
  /** MMR trade-off: 1 = pure relevance, 0 = pure diversity. */
  readonly mmrLambda: number;
  /** Items shown this many times without an interaction start to sink. */
  readonly fatigueAfter: number;
  /** Score (in candidate standard deviations) lost per extra showing. */
  readonly fatiguePenalty: number;
  /** Probability that one slot is given to a random candidate outside the top list. */
  readonly exploration: number;
  /** Penalty (in standard deviations) for an item that matches a negated phrase fully. */
  readonly negationPenalty: number;
  /** Cosine to a negated phrase below which an item does not match it. */
  readonly negationThreshold: number;
  /**
   * Slots at the end of the list reserved for the best cold items (no interaction history), so
   * new items reach visitors through their content; only used when the list has no cold item.
   */
  readonly coldSlots: number;
}

/** Defaults (see docs/engine.md). */
export const DEFAULT_POST_RANK_CONFIG: PostRankConfig = {
  mmrLambda: 0.9,
  fatigueAfter: 3,
  fatiguePenalty: 0.5,
  exploration: 0.1,
  negationPenalty: 3,
  negationThreshold: 0.3,
  coldSlots: 1,
};

/** How strongly an item matches any negated phrase: 1 on a term match, else scaled cosine. */
export function negationMatch(context: EngineContext, row: number, prompt: PromptSignal): number {
  const item = context.items[row]!;
  const v = itemVector(context, row);
  let match = 0;
  for (const negation of prompt.negations) {
    const words = new Set(item.text.match(/[\p{L}\p{N}'-]+/gu) ?? []);
    if (negation.terms.some((t) => words.has(t))) return 1;
    if (negation.vector) {
      const cos = dot(v, negation.vector);
      match = Math.max(match, (cos - 0.3) / 0.7);
    }
  }
  return Math.max(0, Math.min(1, match));
}

/** Standardises scores, then applies negation and fatigue penalties; returns new scores. */
export function adjustScores(
  context: EngineContext,
  rows: readonly number[],
  scores: Float32Array,
  prompt: PromptSignal | null,
  impressions: ReadonlyMap<string, number>,
  config: PostRankConfig,
): Float32Array {
  let mean = 0;
  for (const s of scores) mean += s;
  mean /= Math.max(1, scores.length);
  let variance = 0;
  for (const s of scores) variance += (s - mean) ** 2;
  const std = Math.sqrt(variance / Math.max(1, scores.length)) || 1;
  return Float32Array.from(rows, (row, i) => {
    let s = (scores[i]! - mean) / std;
    if (prompt && prompt.negations.length > 0) {
      const m = negationMatch(context, row, prompt);
      if (m > config.negationThreshold || m === 1) s -= config.negationPenalty * m;
    }
    const shown = impressions.get(context.items[row]!.id) ?? 0;
    if (shown >= config.fatigueAfter)
      s -= config.fatiguePenalty * (shown - config.fatigueAfter + 1);
    return s;
  });
}

/** Greedy MMR over the candidates: picks `limit` positions (indices into `rows`). */
export function mmrSelect(
  context: EngineContext,
  rows: readonly number[],
  scores: Float32Array,
  limit: number,
  lambda: number,
): number[] {
  const order = [...rows.keys()].sort((a, b) => scores[b]! - scores[a]!);
  if (lambda >= 1) return order.slice(0, limit);
  // Relevance scaled to [0, 1] so it is comparable with cosine similarity.
  const pool = order.slice(0, Math.max(limit * 5, 50));
  const hi = scores[pool[0]!] ?? 0;
  const lo = scores[pool[pool.length - 1]!] ?? 0;
  const span = hi - lo || 1;
  const chosen: number[] = [];
  const maxSim = new Float32Array(pool.length).fill(-1);
  const taken = new Uint8Array(pool.length);
  while (chosen.length < Math.min(limit, pool.length)) {
    let best = -1;
    let bestValue = -Infinity;
    for (let p = 0; p < pool.length; p++) {
      if (taken[p]) continue;
      const rel = (scores[pool[p]!]! - lo) / span;
      const div = chosen.length === 0 ? 0 : Math.max(0, maxSim[p]!);
      const value = lambda * rel - (1 - lambda) * div;
      if (value > bestValue) {
        bestValue = value;
        best = p;
      }
    }
    taken[best] = 1;
    chosen.push(pool[best]!);
    const picked = itemVector(context, rows[pool[best]!]!);
    for (let p = 0; p < pool.length; p++) {
      if (taken[p]) continue;
      maxSim[p] = Math.max(maxSim[p]!, dot(picked, itemVector(context, rows[pool[p]!]!)));
    }
  }
  return chosen;
}

/**
 * With probability `rate`, swaps one slot (not the first) for a random candidate outside the
 * chosen list; returns the new order and the explored index, or -1.
 */
export function explorationSlot(
  chosen: readonly number[],
  candidateCount: number,
  rate: number,
  rng: Rng,
): { order: number[]; explored: number } {
  const order = [...chosen];
  if (order.length < 2 || candidateCount <= order.length || rng() >= rate)
    return { order, explored: -1 };
  const inList = new Set(order);
  const outside = [...Array(candidateCount).keys()].filter((i) => !inList.has(i));
  const pick = outside[Math.floor(rng() * outside.length)]!;
  const slot = 1 + Math.floor(rng() * (order.length - 1));
  order[slot] = pick;
  return { order, explored: slot };
}

/**
 * Reserves the last `slots` positions of `chosen` (indices into `rows`) for the cold candidates
 * that match `query` best (cosine), unless they are already listed; returns a new list. Cold
 * items have no interaction signal, so content similarity alone decides which new items to show.
 */
export function reserveColdSlots(
  context: EngineContext,
  rows: readonly number[],
  query: Float32Array | null,
  chosen: readonly number[],
  slots: number,
): number[] {
  const out = [...chosen];
  if (!query || slots <= 0 || context.coldCount === 0) return out;
  const best = [...rows.keys()]
    .filter((i) => context.cold[rows[i]!] === 1)
    .map((i) => ({ i, sim: dot(itemVector(context, rows[i]!), query) }))
    .sort((a, b) => b.sim - a.sim || a.i - b.i)
    .slice(0, Math.min(slots, out.length))
    .map((c) => c.i);
  const missing = best.filter((i) => !out.includes(i));
  // Replace the lowest entries that are not among the reserved cold picks, keeping the order.
  let slot = out.length - 1;
  for (const i of missing) {
    while (slot >= 0 && best.includes(out[slot]!)) slot--;
    if (slot < 0) break;
    out[slot] = i;
    slot--;
  }
  return out;
}

/**
 * A first visit's list (no history, no prompt): categories take turns, each giving its best
 * remaining candidate by score, the categories ordered by their best score; items without a
 * category come last, in score order. Returns positions (indices into `rows`). Nothing is known
 * about the visitor yet, so variety across the catalog beats the ranker's small score gaps.
 */
export function coldStartSelect(
  context: EngineContext,
  rows: readonly number[],
  scores: Float32Array,
  limit: number,
): number[] {
  const order = [...rows.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
  const queues = new Map<string, number[]>();
  const loose: number[] = [];
  for (const i of order) {
    const category = context.items[rows[i]!]!.categories[0];
    if (category === undefined || category === '') {
      loose.push(i);
      continue;
    }
    const queue = queues.get(category) ?? [];
    queue.push(i);
    queues.set(category, queue);
  }
  const chosen: number[] = [];
  const lists = [...queues.values()]; // insertion order = order of each category's best score
  for (let round = 0; chosen.length < limit; round++) {
    let added = false;
    for (const list of lists) {
      const next = list[round];
      if (next === undefined) continue;
      chosen.push(next);
      added = true;
      if (chosen.length === limit) break;
    }
    if (!added) break;
  }
  for (const i of loose) if (chosen.length < limit) chosen.push(i);
  return chosen;
}
