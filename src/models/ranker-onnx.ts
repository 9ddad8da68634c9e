/**
 * Runs the ranker's ONNX graph with onnxruntime-web: the same code in Node and in the worker.
 * Runtime settings (`ort.env`: threads, where the .wasm files are) belong to the caller's edge
 * (`src/worker/ranker-loader.ts`, the CLI); nothing here changes them.
 */
import * as ort from 'onnxruntime-web';
import { FEATURE_COUNT } from '../engine/features.ts';
import type { Ranker } from '../engine/ranker.ts';
import {
  assertRankerManifest,
  parseRankerManifest,
  type RankerManifest,
} from './ranker-manifest.ts';

/** Creates a ranker from the ONNX bytes and its manifest (one session, reused). */
export async function createOnnxRanker(
  bytes: Uint8Array,
  manifest: RankerManifest,
): Promise<Ranker> {
  assertRankerManifest(manifest);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  return {
    version: manifest.version,
    weights: Float32Array.from(manifest.weights),
    bias: manifest.bias,
    async score(features, count) {
      if (count === 0) return new Float32Array(0);
      const input = new ort.Tensor('float32', features.subarray(0, count * FEATURE_COUNT), [
        count,
        FEATURE_COUNT,
      ]);
      const result = await session.run({ features: input });
      const output = result.score;
      if (!output)
        throw new Error(`ranker '${manifest.version}': the graph has no 'score' output.`);
      return Float32Array.from(output.data as Float32Array);
    },
  };
}

/** Parses the manifest JSON text (`where` names the file) and creates the ONNX ranker. */
export async function loadRanker(
  manifestJson: string,
  onnxBytes: Uint8Array,
  where = 'models/ranker/manifest.json',
): Promise<Ranker> {
  return createOnnxRanker(onnxBytes, parseRankerManifest(JSON.parse(manifestJson), where));
}
