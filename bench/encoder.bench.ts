/**
 * Encoder figures, in Node (native ONNX Runtime through transformers.js, one intra-op thread):
 * load time, throughput on batches of 64 ten-word sentences, model size, and STS-B Spearman when
 * --stsb is given.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createEncoder } from '../src/encoder/index.ts';
import { evaluateSts, readStsb } from '../src/eval/stsb.ts';
import { seededRng } from '../src/shared/rng.ts';
import type { BenchSuite } from './types.ts';

const WORDS = (
  'the a man woman child dog cat is are was plays reads walks runs eats new old small large red ' +
  'blue green city house car train book film music game story garden river street market school ' +
  'quickly slowly today yesterday with without under over near in on at for from about'
).split(' ');

/** Seeded ~10-word sentences, so every run measures the same input. */
function sentences(count: number, seed: number): string[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, () =>
    Array.from(
      { length: 8 + Math.floor(rng() * 5) },
      () => WORDS[Math.floor(rng() * WORDS.length)]!,
    ).join(' '),
  );
}

const suite: BenchSuite = {
  name: 'encoder',
  async run({ stsb, log }) {
    const started = performance.now();
    const encoder = await createEncoder({ threads: 1 });
    const loadMs = performance.now() - started;

    const manifestUrl = new URL('../models/hearth-encoder-v1/manifest.json', import.meta.url);
    const manifest = JSON.parse(await readFile(fileURLToPath(manifestUrl), 'utf8')) as {
      files: Record<string, { bytes: number }>;
    };
    const modelBytes = Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0);

    const batches = Array.from({ length: 50 }, (_, i) => sentences(64, i + 1));
    for (const batch of batches.slice(0, 5)) await encoder.embed(batch); // warm-up
    const rounds = 3;
    const rates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (const batch of batches) await encoder.embed(batch);
      rates.push((batches.length * 64) / ((performance.now() - t0) / 1000));
    }
    rates.sort((a, b) => a - b);
    const figures: Record<string, number> = {
      'encoder.load_ms': Number(loadMs.toFixed(1)),
      'encoder.sentences_per_s': Math.round(rates[Math.floor(rounds / 2)]!),
      'encoder.model_bytes': modelBytes,
    };
    if (stsb !== undefined) {
      log(`encoder: STS-B ${stsb}`);
      figures['encoder.stsb_spearman'] = Number(
        (await evaluateSts(encoder, await readStsb(stsb))).spearman.toFixed(4),
      );
    }
    await encoder.dispose();
    return figures;
  },
};

export default suite;
