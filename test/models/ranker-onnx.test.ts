import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/engine/features.ts';
import { linearScores } from '../../src/engine/ranker.ts';
import { rankerGraph } from '../../src/models/ranker-graph.ts';
import { RankerError } from '../../src/models/ranker-manifest.ts';
import { createOnnxRanker } from '../../src/models/ranker-onnx.ts';
import { trainRankerWeights } from '../../src/models/ranker-train.ts';
import { seededRng } from '../../src/shared/rng.ts';

const manifest = (weights: number[]) => ({
  version: 't',
  features: [...FEATURE_NAMES],
  weights,
  bias: 0.5,
  onnx: 'ranker.onnx',
  sha256: '',
});

describe('ranker', () => {
  beforeAll(() => {
    ort.env.wasm.numThreads = 1;
  });

  it('the ONNX graph run by onnxruntime-web matches the linear scores', async () => {
    const rng = seededRng(4);
    const weights = FEATURE_NAMES.map(() => rng() * 2 - 1);
    const ranker = await createOnnxRanker(rankerGraph('t', weights, 0.5), manifest(weights));
    const features = Float32Array.from({ length: 7 * FEATURE_COUNT }, () => rng());
    const onnx = await ranker.score(features, 7);
    const js = linearScores(Float32Array.from(weights), 0.5, features, 7);
    for (let i = 0; i < 7; i++) expect(onnx[i]).toBeCloseTo(js[i]!, 5);
  });

  it('refuses a manifest whose features differ from the engine', async () => {
    const bad = { ...manifest([1]), features: ['x'] };
    await expect(createOnnxRanker(new Uint8Array(), bad)).rejects.toThrow(RankerError);
  });

  it('listwise training learns that the picked item has the higher feature', () => {
    const rng = seededRng(5);
    const groups = Array.from({ length: 50 }, () => {
      const features = Float32Array.from({ length: 4 * FEATURE_COUNT }, () => rng());
      features[2 * FEATURE_COUNT + 3] = 2; // candidate 2 has the largest collab score
      return { features, count: 4, positive: 2 };
    });
    const { weights } = trainRankerWeights(groups, {
      iterations: 100,
      learningRate: 0.1,
      l2: 0,
      fixed: {},
    });
    expect(weights[3]).toBeGreaterThan(0);
    expect(Math.abs(weights[3]!)).toBeGreaterThan(Math.abs(weights[0]!));
  });
});
