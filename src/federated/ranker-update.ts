/**
 * The ranker's local part of a federated round. A published ranker trains a subset of the
 * engine's features, listed in its layout; features outside the subset keep the engine's
 * defaults: the fixed weights (the prompt's), 0 for the rest. The client takes a few gradient
 * steps of the listwise softmax loss on its own candidate groups, starting from the global
 * weights. This is the objective `trainRankerWeights` fits centrally. It returns the delta of the
 * trained weights only, so noise is spent on nothing else. Weights apply to raw features, as in
 * the shipped ranker.
 */
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../engine/features.ts';
import type { RankerGroup } from '../engine/ranker.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS, listwiseGradient } from '../models/ranker-train.ts';

/** A federated ranker: which engine columns its parameters are, in order. */
export interface RankerColumns {
  readonly columns: readonly number[];
}

/** Local training hyper-parameters of a ranker round. */
export interface RankerLocalOptions {
  readonly localSteps: number;
  readonly learningRate: number;
}

/** Thrown when a published ranker names features this engine does not compute. */
export class RankerLayoutError extends Error {
  override readonly name = 'RankerLayoutError';
}

/** Maps layout feature names to engine columns; throws on unknown or repeated names. */
export function rankerColumns(features: readonly string[]): RankerColumns {
  const columns = features.map((f) => FEATURE_NAMES.indexOf(f as FeatureName));
  const unknown = features.filter((_, i) => columns[i]! < 0);
  if (unknown.length > 0 || new Set(features).size !== features.length)
    throw new RankerLayoutError(
      `ranker trains [${features.join(', ')}]; this engine computes [${FEATURE_NAMES.join(', ')}] (unknown: [${unknown.join(', ')}], each at most once)`,
    );
  return { columns };
}

/** The engine's features that are not fixed: what a federated ranker trains by default. */
export function learnableFeatures(): FeatureName[] {
  return FEATURE_NAMES.filter((name) => DEFAULT_RANKER_TRAIN_OPTIONS.fixed[name] === undefined);
}

/** Full engine weights: the trained `params` at their columns, the engine's defaults elsewhere. */
export function expandRankerWeights(layout: RankerColumns, params: ArrayLike<number>): number[] {
  const fixed = DEFAULT_RANKER_TRAIN_OPTIONS.fixed;
  const weights = FEATURE_NAMES.map((name) => fixed[name] ?? 0);
  layout.columns.forEach((column, i) => {
    weights[column] = params[i]!;
  });
  return weights;
}

const RAW = {
  mean: new Float64Array(FEATURE_COUNT),
  std: new Float64Array(FEATURE_COUNT).fill(1),
};

/** The delta of the trained weights after `localSteps` gradient steps on `groups`. */
export function computeRankerDelta(
  layout: RankerColumns,
  params: Float32Array,
  groups: readonly RankerGroup[],
  options: RankerLocalOptions,
): Float32Array {
  if (params.length !== layout.columns.length)
    throw new RangeError(
      `ranker has ${params.length} weights, its layout trains ${layout.columns.length}`,
    );
  const trained = new Set(layout.columns);
  const learnable = FEATURE_NAMES.map((_, k) => trained.has(k));
  const w = Float64Array.from(expandRankerWeights(layout, params));
  for (let step = 0; step < options.localSteps && groups.length > 0; step++) {
    const { grad } = listwiseGradient(groups, w, { ...RAW, learnable });
    for (let k = 0; k < FEATURE_COUNT; k++) w[k]! -= options.learningRate * grad[k]!;
  }
  return Float32Array.from(layout.columns, (column, i) => w[column]! - params[i]!);
}
