/** The linear ranker as an ONNX graph (`features` [n, FEATURE_COUNT] → `score` [n]). */
import { FEATURE_COUNT, FEATURE_NAMES } from '../engine/features.ts';
import { DT, encodeModel } from './onnx-graph.ts';

/** Builds the ONNX graph `score = features · W + b` for the given weights. */
export function rankerGraph(version: string, weights: readonly number[], bias: number): Uint8Array {
  return encodeModel({
    name: version,
    inputs: [{ name: 'features', type: DT.float, dims: ['n', FEATURE_COUNT] }],
    outputs: [{ name: 'score', type: DT.float, dims: ['n', 1] }],
    initializers: [
      { name: 'W', dims: [FEATURE_COUNT, 1], data: Float32Array.from(weights) },
      { name: 'B', dims: [1], data: Float32Array.of(bias) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['features', 'W'], outputs: ['logits'] },
      { op: 'Add', inputs: ['logits', 'B'], outputs: ['score'] },
    ],
    metadata: { version, features: FEATURE_NAMES.join(',') },
  });
}
