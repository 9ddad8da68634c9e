/**
 * `npm run train:ranker -- --data DIR [--out models/ranker] [--seed 1]`: fits the linear ranker
 * on a MovieLens-format interaction folder (validation split carved from training, so test
 * items are never seen) and writes `ranker.onnx` + `manifest.json`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEncoder } from '../src/encoder/index.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS } from '../src/models/collab-train.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../src/engine/features.ts';
import type { RankerManifest } from '../src/engine/ranker.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS } from '../src/models/ranker-train.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../src/engine/user-state.ts';
import { loadMovieLens } from '../src/eval/movielens.ts';
import { fitRanker } from '../src/eval/ranker-fit.ts';
import { DT, encodeModel } from '../src/encoder/build/onnx-graph.ts';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string', default: 'models/ranker' },
      seed: { type: 'string', default: '1' },
      version: { type: 'string', default: 'hearth-ranker-v2' },
    },
  });
  if (values.data === undefined) {
    process.stderr.write('usage: npm run train:ranker -- --data DIR [--out models/ranker]\n');
    process.exitCode = 2;
    return;
  }
  const encoder = await createEncoder();
  const data = loadMovieLens(values.data);
  const fit = await fitRanker(data, {
    encoder,
    collab: DEFAULT_COLLAB_TRAIN_OPTIONS,
    userState: DEFAULT_USER_STATE_CONFIG,
    ranker: DEFAULT_RANKER_TRAIN_OPTIONS,
    seed: Number(values.seed),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  await encoder.dispose();
  const weights = fit.weights.map((w) => Number(w.toPrecision(6)));
  const bytes = rankerGraph(values.version, weights, 0);
  const manifest: RankerManifest = {
    version: values.version,
    features: [...FEATURE_NAMES],
    weights,
    bias: 0,
    onnx: 'ranker.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    training: {
      data: values.data.split('/').filter(Boolean).pop() ?? values.data,
      encoder: encoder.info.version,
      groups: fit.groups,
      users: fit.users,
      loss: Number(fit.loss.toFixed(4)),
    },
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'ranker.onnx'), bytes);
  writeFileSync(join(values.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(`wrote ${values.out}/ranker.onnx and manifest.json\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
