/**
 * `npx tsx scripts/train-collab.ts --data DIR [--out models/collab] [--epochs N] [--dims D]`:
 * trains the global collaborative model centrally (Adam on averaged per-user gradients, the
 * same `collabUserGradient` objective the federated client uses) on ALL interactions of a
 * MovieLens-format folder, builds the sparse sequence (item-item) model from the same sequences,
 * and writes `collab.bin`, `sequence.bin` and `manifest.json` (read by `fetchCollabModels`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMovieLens } from '../src/eval/movielens.ts';
import { leaveLastOut } from '../src/eval/split.ts';
import { serializeCollab } from '../src/models/collab-format.ts';
import type { CollabManifest } from '../src/models/collab-manifest.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../src/models/collab-train.ts';
import { serializeSequence } from '../src/models/sequence-format.ts';
import { DEFAULT_SEQUENCE_OPTIONS, trainSequenceModel } from '../src/models/sequence-train.ts';
import { seededRng } from '../src/shared/rng.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string', default: 'models/collab' },
      epochs: { type: 'string', default: String(DEFAULT_COLLAB_TRAIN_OPTIONS.epochs) },
      dims: { type: 'string', default: String(DEFAULT_COLLAB_TRAIN_OPTIONS.dims) },
      seed: { type: 'string', default: '1' },
      version: { type: 'string', default: 'hearth-collab-v1' },
    },
  });
  if (values.data === undefined) {
    process.stderr.write(
      'usage: npx tsx scripts/train-collab.ts --data DIR [--out models/collab]\n',
    );
    process.exitCode = 2;
    return;
  }
  const data = loadMovieLens(values.data);
  // Whole sequences: leave-last-out's rows plus the held-out item, in time order.
  const split = leaveLastOut(data.interactions);
  const sequences = split.train.map((rows, u) =>
    split.test[u]! >= 0 ? [...rows, split.test[u]!] : rows,
  );
  const options = {
    ...DEFAULT_COLLAB_TRAIN_OPTIONS,
    epochs: Number(values.epochs),
    dims: Number(values.dims),
    version: values.version,
  };
  const model = trainCollab(
    split.itemIds,
    sequences,
    options,
    seededRng(Number(values.seed)),
    (e, loss) => process.stderr.write(`epoch ${e + 1}: loss ${loss.toFixed(3)}\n`),
  );
  const bytes = serializeCollab(model);
  const sequence = trainSequenceModel(
    split.itemIds,
    sequences,
    DEFAULT_SEQUENCE_OPTIONS,
    `${values.version}-sequence`,
  );
  const sequenceBytes = serializeSequence(sequence);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'collab.bin'), bytes);
  writeFileSync(join(values.out, 'sequence.bin'), sequenceBytes);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const manifest: CollabManifest & Record<string, unknown> = {
    version: model.version,
    file: 'collab.bin',
    sha256: sha(bytes),
    sequence: { file: 'sequence.bin', sha256: sha(sequenceBytes), version: sequence.version },
    items: model.itemIds.length,
    dims: model.dims,
    bytes: bytes.length,
    training: {
      data: values.data.split('/').filter(Boolean).pop() ?? values.data,
      ...options.gradient,
      epochs: options.epochs,
      sequence: { ...DEFAULT_SEQUENCE_OPTIONS },
    },
  };
  writeFileSync(join(values.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(
    `wrote ${values.out}/collab.bin (${bytes.length} bytes), sequence.bin (${sequenceBytes.length} bytes)\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
