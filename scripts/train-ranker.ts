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
import { FEATURE_NAMES } from '../src/engine/features.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../src/engine/user-state.ts';
import { loadMovieLens } from '../src/eval/movielens.ts';
import { fitRanker } from '../src/eval/ranker-fit.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS } from '../src/models/collab-train.ts';
import { rankerGraph } from '../src/models/ranker-graph.ts';
import type { RankerManifest } from '../src/models/ranker-manifest.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS } from '../src/models/ranker-train.ts';

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
