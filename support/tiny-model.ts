import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncoderRows } from '../src/encoder/build/encoder-build.ts';
import { type WrittenModel, writeEncoderModel } from '../src/encoder/build/write-encoder.ts';

/** Words of the tiny fixture model; pairs share a direction (cat/kitten, dog/puppy, car/truck). */
export const TINY_WORDS = ['cat', 'kitten', 'dog', 'puppy', 'car', 'truck', 'the', 'runs'] as const;
export const TINY_DIMS = 8;

/** Rows with a designed geometry: each pair shares an axis, plus a small word-specific part. */
export function tinyRows(): EncoderRows {
  const rows = new Float32Array(TINY_WORDS.length * TINY_DIMS);
  TINY_WORDS.forEach((_, k) => {
    const axis = Math.floor(k / 2);
    rows[k * TINY_DIMS + axis] = 1;
    rows[k * TINY_DIMS + 4 + (k % 4)] = 0.25;
  });
  return { words: [...TINY_WORDS], dims: TINY_DIMS, rows };
}

/** Writes the tiny model into a fresh temporary directory; returns its path and what was written. */
export async function writeTinyModel(
  rows: EncoderRows = tinyRows(),
): Promise<{ dir: string; written: WrittenModel }> {
  const parent = await mkdtemp(join(tmpdir(), 'hearth-tiny-model-'));
  const dir = join(parent, 'tiny-encoder');
  const written = await writeEncoderModel(dir, 'tiny-encoder', rows, { fixture: true });
  return { dir, written };
}
