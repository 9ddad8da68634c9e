/** Baselines: most popular, and item-kNN with cosine similarity over the full item set. */
import { topIndices } from '../shared/vector-math.ts';
import type { Split } from './split.ts';

/** Top-k rows by training user count, excluding the user's training items. */
export function popularityTopK(
  split: Split,
  counts: Float32Array,
  user: number,
  k: number,
): number[] {
  const seen = new Set(split.train[user]);
  return topIndices(counts, k, (r) => seen.has(r));
}

/** Inverted index: item row → users, user → distinct items (for item-kNN). */
export interface KnnIndex {
  readonly usersOf: readonly number[][];
  readonly itemsOf: readonly number[][];
  readonly counts: Float32Array;
}

/** Builds the item-kNN index from the training rows. */
export function knnIndex(split: Split): KnnIndex {
  const usersOf: number[][] = split.itemIds.map(() => []);
  const itemsOf = split.train.map((rows) => [...new Set(rows)]);
  itemsOf.forEach((rows, u) => {
    for (const r of rows) usersOf[r]!.push(u);
  });
  return { usersOf, itemsOf, counts: Float32Array.from(usersOf, (u) => u.length) };
}

/**
 * Top-k rows by Σ_{j ∈ history} cos(i, j), cos over binary user vectors, with every neighbour
 * kept ("full"); computed through the users who share an item, without an n × n matrix.
 */
export function itemKnnTopK(index: KnnIndex, user: number, k: number): number[] {
  const history = index.itemsOf[user] ?? [];
  const userWeight = new Map<number, number>();
  for (const j of history) {
    const w = 1 / Math.sqrt(index.counts[j]!);
    for (const other of index.usersOf[j]!) userWeight.set(other, (userWeight.get(other) ?? 0) + w);
  }
  const scores = new Float32Array(index.counts.length);
  for (const [other, w] of userWeight) for (const i of index.itemsOf[other]!) scores[i]! += w;
  for (let i = 0; i < scores.length; i++)
    if (scores[i]! > 0) scores[i]! /= Math.sqrt(index.counts[i]!);
  const seen = new Set(history);
  return topIndices(scores, k, (r) => seen.has(r) || scores[r] === 0);
}
