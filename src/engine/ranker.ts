/**
 * The ranking model: a linear scorer over `FEATURE_NAMES`. Its weights ship as an ONNX graph
 * (run by onnxruntime-web, see `src/models/ranker-onnx.ts`) plus a JSON manifest that repeats
 * them so the explanation step can attribute a score to its largest contributing feature.
 */
import { FEATURE_COUNT } from './features.ts';

/** One user's candidates and which one was picked. */
export interface RankerGroup {
  /** count × FEATURE_COUNT, row-major. */
  readonly features: Float32Array;
  readonly count: number;
  readonly positive: number;
}

/** Anything that scores a feature matrix. */
export interface Ranker {
  readonly version: string;
  readonly weights: Float32Array;
  readonly bias: number;
  /** Scores `count` rows of `features` (row-major, FEATURE_COUNT columns). */
  score(features: Float32Array, count: number): Promise<Float32Array>;
}

/** A ranker evaluated in plain TypeScript (training, tests, and a fallback). */
export function linearRanker(version: string, weights: readonly number[], bias: number): Ranker {
  const w = Float32Array.from(weights);
  return {
    version,
    weights: w,
    bias,
    async score(features, count) {
      return linearScores(w, bias, features, count);
    },
  };
}

/** Synchronous linear scores: `features · w + bias` per row. */
export function linearScores(
  weights: Float32Array,
  bias: number,
  features: Float32Array,
  count: number,
): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let s = bias;
    for (let k = 0; k < FEATURE_COUNT; k++) s += weights[k]! * features[i * FEATURE_COUNT + k]!;
    out[i] = s;
  }
  return out;
}
