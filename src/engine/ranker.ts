/**
 * The ranking model: a linear scorer over `FEATURE_NAMES`. Its weights ship as an ONNX graph
 * (run by onnxruntime-web, see `ranker-onnx.ts`) plus a JSON manifest that repeats them so the
 * explanation step can attribute a score to its largest contributing feature.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from './features.ts';

/** The ranker's manifest (`models/ranker/manifest.json`). */
export interface RankerManifest {
  readonly version: string;
  readonly features: readonly string[];
  /** One weight per feature, applied to raw feature values. */
  readonly weights: readonly number[];
  readonly bias: number;
  /** File name of the ONNX graph next to the manifest. */
  readonly onnx: string;
  /** sha256 (hex) of the ONNX bytes. */
  readonly sha256: string;
  /** How it was trained (data, split, metric on validation). */
  readonly training?: Readonly<Record<string, string | number>>;
}

/** Anything that scores a feature matrix. */
export interface Ranker {
  readonly version: string;
  readonly weights: Float32Array;
  readonly bias: number;
  /** Scores `count` rows of `features` (row-major, FEATURE_COUNT columns). */
  score(features: Float32Array, count: number): Promise<Float32Array>;
}

/** The ranker file does not match this engine's features. */
export class RankerError extends Error {
  override readonly name = 'RankerError';
}

/** Checks a manifest against FEATURE_NAMES; throws RankerError with what to rebuild. */
export function assertRankerManifest(manifest: RankerManifest): void {
  const same =
    manifest.features.length === FEATURE_COUNT &&
    manifest.features.every((f, i) => f === FEATURE_NAMES[i]) &&
    manifest.weights.length === FEATURE_COUNT;
  if (!same) {
    throw new RankerError(
      `ranker '${manifest.version}' expects features [${manifest.features.join(', ')}] but the engine computes [${FEATURE_NAMES.join(', ')}]; retrain it with npm run train:ranker.`,
    );
  }
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
