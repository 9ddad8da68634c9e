/**
 * The ranker's local part of a federated round: a few gradient steps of the listwise softmax
 * loss (the objective `trainRankerWeights` fits centrally) on the visitor's own candidate groups,
 * starting from the global weights, returning the delta. Weights apply to raw features, as in
 * the shipped ranker; fixed features (e.g. the prompt) are never moved.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from '../engine/features.ts';
import {
  DEFAULT_RANKER_TRAIN_OPTIONS,
  listwiseGradient,
  type RankerGroup,
  type RankerTrainOptions,
} from '../engine/ranker-train.ts';

/** Local training hyper-parameters of a ranker round. */
export interface RankerLocalOptions {
  readonly localSteps: number;
  readonly learningRate: number;
  /** Features whose weight stays put; default the central trainer's. */
  readonly fixed?: RankerTrainOptions['fixed'];
}

const RAW = {
  mean: new Float64Array(FEATURE_COUNT),
  std: new Float64Array(FEATURE_COUNT).fill(1),
};

/** Returns w_local − w_global after `localSteps` gradient steps on `groups`; `weights` is not mutated. */
export function computeRankerDelta(
  weights: Float32Array,
  groups: readonly RankerGroup[],
  options: RankerLocalOptions,
): Float32Array {
  if (weights.length !== FEATURE_COUNT)
    throw new RangeError(`ranker has ${weights.length} weights, the engine has ${FEATURE_COUNT}`);
  const fixed = options.fixed ?? DEFAULT_RANKER_TRAIN_OPTIONS.fixed;
  const learnable = FEATURE_NAMES.map((name) => fixed[name] === undefined);
  const w = Float64Array.from(weights);
  for (let step = 0; step < options.localSteps && groups.length > 0; step++) {
    const { grad } = listwiseGradient(groups, w, { ...RAW, learnable });
    for (let k = 0; k < FEATURE_COUNT; k++) w[k]! -= options.learningRate * grad[k]!;
  }
  const delta = new Float32Array(FEATURE_COUNT);
  for (let k = 0; k < FEATURE_COUNT; k++) delta[k] = w[k]! - weights[k]!;
  return delta;
}
