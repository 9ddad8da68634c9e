/** Runs the ranker's ONNX graph with onnxruntime-web: the same code in Node and in the worker. */
import * as ort from 'onnxruntime-web';
import { FEATURE_COUNT } from '../engine/features.ts';
import { assertRankerManifest, type Ranker, type RankerManifest } from '../engine/ranker.ts';

/** Creates a ranker from the ONNX bytes and its manifest (one session, reused). */
export async function createOnnxRanker(
  bytes: Uint8Array,
  manifest: RankerManifest,
): Promise<Ranker> {
  assertRankerManifest(manifest);
  ort.env.wasm.numThreads = 1;
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
