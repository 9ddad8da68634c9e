/**
 * Scoring helpers for `hearth simulate`: rank all unseen items with a collaborative model, a
 * popularity vector or Hearth's whole engine for each user of a leave-last-out split, and average
 * HR@10 / NDCG@10 with the evaluation metrics of src/eval/metrics (same protocol as `hearth eval`).
 */
import { type CollabModel, collabScores, collabUserVector } from '../engine/collab-model.ts';
import type { EngineContext } from '../engine/context.ts';
import type { Ranker } from '../engine/ranker.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import { popularityTopK } from '../eval/baselines.ts';
import { evaluationConfig, hearthTopK } from '../eval/hearth-method.ts';
import { hitRate } from '../eval/metrics/hit-rate.ts';
import { meanDefined } from '../eval/metrics/mean.ts';
import { ndcg } from '../eval/metrics/ndcg.ts';
import type { Split } from '../eval/split.ts';
import { topIndices } from '../shared/vector-math.ts';

/** One JSON value of a simulation report. */
export type ReportValue =
  | number
  | string
  | boolean
  | null
  | readonly number[]
  | RankingFigures
  | ReportSection;

/** A named group of report values. */
export interface ReportSection {
  readonly [key: string]: ReportValue;
}

/** HR@k and NDCG@k averaged over users with a test item. */
export interface RankingFigures {
  readonly hr10: number;
  readonly ndcg10: number;
}

/** Averages HR@k / NDCG@k of `rank` (item ids, best first) over users with a test item. */
async function scoreIds(
  split: Split,
  rank: (user: number) => string[] | Promise<string[]>,
  k: number,
): Promise<RankingFigures> {
  const hr: number[] = [];
  const nd: number[] = [];
  for (let u = 0; u < split.users.length; u++) {
    const test = split.test[u] ?? -1;
    if (test < 0) continue;
    const ranked = await rank(u);
    const relevant = new Set([split.itemIds[test] ?? '']);
    hr.push(hitRate(ranked, relevant, k));
    nd.push(ndcg(ranked, relevant, k));
  }
  return { hr10: meanDefined(hr), ndcg10: meanDefined(nd) };
}

/** `scoreIds` for rankers that return item rows. */
function score(split: Split, rank: (user: number) => number[], k: number) {
  return scoreIds(split, (u) => rank(u).map((r) => split.itemIds[r] ?? ''), k);
}

/** Evaluates Hearth's engine (candidates, features, `ranker`, post-ranking) over `context`. */
export function evaluateHearth(
  split: Split,
  context: EngineContext,
  ranker: Ranker,
  stateConfig: UserStateConfig,
  k = 10,
): Promise<RankingFigures> {
  const config = evaluationConfig();
  return scoreIds(split, (u) => hearthTopK(context, split, u, ranker, stateConfig, config, k), k);
}

/** Evaluates a collab model: user vector from recency-weighted training rows (decay^age + floor). */
export function evaluateCollab(
  split: Split,
  model: CollabModel,
  weights: { decay: number; longTermWeight: number },
  k = 10,
): Promise<RankingFigures> {
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
export function evaluatePopularity(
  split: Split,
  counts: Float32Array,
  k = 10,
): Promise<RankingFigures> {
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
