/**
 * Fits the linear ranker with a listwise softmax (conditional logit): for each training group
 * (one user's candidates, one of them the item the user picked next) maximise the softmax
 * probability of the picked one. Features are standardised while training and the scaling is
 * folded back into the weights, so the model takes raw features.
 */
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../engine/features.ts';
import type { RankerGroup } from '../engine/ranker.ts';

/** Training knobs. */
export interface RankerTrainOptions {
  readonly iterations: number;
  readonly learningRate: number;
  readonly l2: number;
  /** Features whose weight is set by hand (e.g. the prompt, absent from interaction logs). */
  readonly fixed: Readonly<Partial<Record<FeatureName, number>>>;
}

/** Defaults. */
export const DEFAULT_RANKER_TRAIN_OPTIONS: RankerTrainOptions = {
  iterations: 300,
  learningRate: 0.05,
  l2: 1e-3,
  fixed: { sim_prompt: 8 },
};

/** Fits weights on raw features; returns them with the final mean training loss. */
export function trainRankerWeights(
  groups: readonly RankerGroup[],
  options: RankerTrainOptions,
): { weights: number[]; loss: number } {
  const mean = new Float64Array(FEATURE_COUNT);
  const sq = new Float64Array(FEATURE_COUNT);
  let rows = 0;
  for (const g of groups) {
    for (let i = 0; i < g.count * FEATURE_COUNT; i++) {
      const k = i % FEATURE_COUNT;
      mean[k]! += g.features[i]!;
      sq[k]! += g.features[i]! ** 2;
    }
    rows += g.count;
  }
  const std = new Float64Array(FEATURE_COUNT);
  for (let k = 0; k < FEATURE_COUNT; k++) {
    mean[k]! /= Math.max(1, rows);
    std[k] = Math.sqrt(Math.max(0, sq[k]! / Math.max(1, rows) - mean[k]! ** 2));
  }
  const learnable = FEATURE_NAMES.map(
    (name, k) => options.fixed[name] === undefined && std[k]! > 1e-9,
  );
  const w = new Float64Array(FEATURE_COUNT);
  const m = new Float64Array(FEATURE_COUNT);
  const v = new Float64Array(FEATURE_COUNT);
  const scaling = { mean, std, learnable };
  let loss = 0;
  for (let step = 1; step <= options.iterations; step++) {
    const out = listwiseGradient(groups, w, scaling);
    loss = out.loss;
    for (let k = 0; k < FEATURE_COUNT; k++) {
      if (!learnable[k]) continue;
      const gk = out.grad[k]! + options.l2 * w[k]!;
      m[k] = 0.9 * m[k]! + 0.1 * gk;
      v[k] = 0.999 * v[k]! + 0.001 * gk * gk;
      const mh = m[k]! / (1 - 0.9 ** step);
      const vh = v[k]! / (1 - 0.999 ** step);
      w[k]! -= (options.learningRate * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  const weights = FEATURE_NAMES.map((name, k) => {
    const fixed = options.fixed[name];
    if (fixed !== undefined) return fixed;
    return learnable[k] ? w[k]! / std[k]! : 0;
  });
  return { weights, loss };
}

/** How features enter the scorer: (x − mean)/std for learnable columns, ignored otherwise. */
export interface FeatureScaling {
  readonly mean: ArrayLike<number>;
  readonly std: ArrayLike<number>;
  readonly learnable: readonly boolean[];
}

/**
 * Mean listwise softmax loss over `groups` and its gradient with respect to `w` (weights on the
 * scaled features; columns that are not learnable get 0). Shared by central fitting and the
 * federated client's local steps.
 */
export function listwiseGradient(
  groups: readonly RankerGroup[],
  w: ArrayLike<number>,
  scaling: FeatureScaling,
): { loss: number; grad: Float64Array } {
  const { mean, std, learnable } = scaling;
  const grad = new Float64Array(FEATURE_COUNT);
  let loss = 0;
  for (const g of groups) {
    const logits = new Float64Array(g.count);
    let max = -Infinity;
    for (let i = 0; i < g.count; i++) {
      let s = 0;
      for (let k = 0; k < FEATURE_COUNT; k++) {
        if (learnable[k]) s += w[k]! * ((g.features[i * FEATURE_COUNT + k]! - mean[k]!) / std[k]!);
      }
      logits[i] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let i = 0; i < g.count; i++) sum += Math.exp(logits[i]! - max);
    loss += -(logits[g.positive]! - max - Math.log(sum));
    for (let i = 0; i < g.count; i++) {
      const p = Math.exp(logits[i]! - max) / sum - (i === g.positive ? 1 : 0);
      for (let k = 0; k < FEATURE_COUNT; k++) {
        if (learnable[k])
          grad[k]! += (p * (g.features[i * FEATURE_COUNT + k]! - mean[k]!)) / std[k]!;
      }
    }
  }
  const n = Math.max(1, groups.length);
  for (let k = 0; k < FEATURE_COUNT; k++) grad[k]! /= n;
  return { loss: loss / n, grad };
}
