/**
 * Scoring helpers for `hearth simulate`: rank all unseen items with a collaborative model or a
 * popularity vector for each user of a leave-last-out split, and average HR@10 / NDCG@10 with
 * the evaluation metrics of src/eval/metrics (same protocol as `hearth eval`).
 */
import { type CollabModel, collabScores, collabUserVector } from '../engine/collab-model.ts';
import { topIndices } from '../engine/vector-math.ts';
import { popularityTopK } from '../eval/baselines.ts';
import { hitRate } from '../eval/metrics/hit-rate.ts';
import { meanDefined } from '../eval/metrics/mean.ts';
import { ndcg } from '../eval/metrics/ndcg.ts';
import type { Split } from '../eval/split.ts';

/** HR@k and NDCG@k averaged over users with a test item. */
export interface RankingFigures {
  readonly hr10: number;
  readonly ndcg10: number;
}

function score(split: Split, rank: (user: number) => number[], k: number): RankingFigures {
  const hr: number[] = [];
  const nd: number[] = [];
  split.users.forEach((_, u) => {
    const test = split.test[u] ?? -1;
    if (test < 0) return;
    const ranked = rank(u).map((r) => split.itemIds[r] ?? '');
    const relevant = new Set([split.itemIds[test] ?? '']);
    hr.push(hitRate(ranked, relevant, k));
    nd.push(ndcg(ranked, relevant, k));
  });
  return { hr10: meanDefined(hr), ndcg10: meanDefined(nd) };
}

/** Evaluates a collab model: user vector from recency-weighted training rows (decay^age + floor). */
export function evaluateCollab(
  split: Split,
  model: CollabModel,
  weights: { decay: number; longTermWeight: number },
  k = 10,
): RankingFigures {
  return score(
    split,
    (u) => {
      const rows = split.train[u] ?? [];
      const history = rows.map((row, i) => ({
        row,
        weight: weights.decay ** (rows.length - 1 - i) + weights.longTermWeight,
      }));
      const scores = collabScores(model, collabUserVector(model, history));
      const seen = new Set(rows);
      return topIndices(scores, k, (r) => seen.has(r));
    },
    k,
  );
}

/** Evaluates "most popular" under a given popularity vector (aligned with split.itemIds). */
export function evaluatePopularity(split: Split, counts: Float32Array, k = 10): RankingFigures {
  return score(split, (u) => popularityTopK(split, counts, u, k), k);
}

/** Fraction of the top-n items of `a` that are also in the top-n of `b`. */
export function topOverlap(a: Float32Array, b: Float32Array, n: number): number {
  const top = (v: Float32Array) => new Set(topIndices(v, n));
  const ta = top(a);
  let shared = 0;
  for (const i of top(b)) if (ta.has(i)) shared++;
  return shared / Math.max(1, Math.min(n, a.length));
}
