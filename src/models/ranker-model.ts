/** Loading the committed ranker (`models/ranker/`) from bytes, in Node or in the worker. */

import type { Ranker, RankerManifest } from '../engine/ranker.ts';
import { createOnnxRanker } from './ranker-onnx.ts';

/** Parses the manifest JSON and creates the ONNX ranker. */
export async function loadRanker(manifestJson: string, onnxBytes: Uint8Array): Promise<Ranker> {
  const manifest = JSON.parse(manifestJson) as RankerManifest;
  return createOnnxRanker(onnxBytes, manifest);
}
