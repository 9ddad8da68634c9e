import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS, tokenizerJson } from '../../src/encoder/build/encoder-assets.ts';
import {
  buildEncoderRows,
  DEFAULT_BUILD_PARAMS,
  principalDirections,
  quantizeRows,
  zipfProbabilities,
} from '../../src/encoder/build/encoder-build.ts';
import { glossSentences } from '../../src/encoder/build/wordnet-corpus.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { TINY_DIMS, TINY_WORDS, writeTinyModel } from '../../support/tiny-model.ts';

describe('model build', () => {
  it('writes byte-identical files for the same input', async () => {
    // Arrange / Act
    const first = await writeTinyModel();
    const second = await writeTinyModel();
    // Assert
    expect(second.written.files).toEqual(first.written.files);
    expect(second.written.version).toBe(first.written.version);
    const a = await readFile(join(first.dir, 'onnx/model_quantized.onnx'));
    const b = await readFile(join(second.dir, 'onnx/model_quantized.onnx'));
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('changes the version when a row changes', async () => {
    const base = await writeTinyModel();
    const rows = (await import('../../support/tiny-model.ts')).tinyRows();
    rows.rows[3] = 0.5;
    const changed = await writeTinyModel(rows);
    expect(changed.written.version).not.toBe(base.written.version);
  });

  it('puts special tokens first and whole words after in the WordPiece vocabulary', () => {
    const json = tokenizerJson(['cat', 'dog']) as {
      model: { type: string; vocab: Record<string, number> };
    };
    expect(json.model.type).toBe('WordPiece');
    SPECIAL_TOKENS.forEach((t, i) => {
      expect(json.model.vocab[t]).toBe(i);
    });
    expect(json.model.vocab.cat).toBe(SPECIAL_TOKENS.length);
    expect(json.model.vocab.dog).toBe(SPECIAL_TOKENS.length + 1);
  });

  it('bounds the int8 dequantisation error by half a step per element', () => {
    const rng = seededRng(7);
    const dims = 16;
    const rows = Float32Array.from({ length: 50 * dims }, () => (rng() - 0.5) * 4);
    const { values, scales } = quantizeRows(rows, dims);
    for (let r = 0; r < 50; r++) {
      for (let i = 0; i < dims; i++) {
        const error = Math.abs(values[r * dims + i]! * scales[r]! - rows[r * dims + i]!);
        expect(error).toBeLessThanOrEqual(scales[r]! / 2 + 1e-7);
      }
    }
  });

  it('runs the ONNX graph as gather + dequantise + mask, within the quantisation bound', async () => {
    const { dir } = await writeTinyModel();
    const session = await ort.InferenceSession.create(join(dir, 'onnx/model_quantized.onnx'));
    const ids = [SPECIAL_TOKENS.length + 0, SPECIAL_TOKENS.length + 2, 0];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 3]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 0n]), [1, 3]),
    });
    const hidden = out.last_hidden_state!.data as Float32Array;
    expect(out.last_hidden_state!.dims).toEqual([1, 3, TINY_DIMS]);
    // 'cat' has 1 on axis 0 and 0.25 on axis 4; the masked third token is all zeros.
    expect(hidden[0]).toBeCloseTo(1, 2);
    expect(hidden[4]).toBeCloseTo(0.25, 2);
    expect(hidden[TINY_DIMS + 1]).toBeCloseTo(1, 2);
    expect(Array.from(hidden.slice(2 * TINY_DIMS)).every((v) => v === 0)).toBe(true);
    expect(TINY_WORDS[2]).toBe('dog');
  });

  it('finds the dominant direction of a set of vectors', () => {
    const rng = seededRng(3);
    const dims = 6;
    const n = 400;
    const vectors = new Float32Array(n * dims);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < dims; i++) vectors[r * dims + i] = (rng() - 0.5) * 0.1;
      vectors[r * dims + 2] = vectors[r * dims + 2]! + 3 + rng();
    }
    const [u] = principalDirections(vectors, dims, 1);
    expect(Math.abs(u![2]!)).toBeGreaterThan(0.99);
  });

  it('removes the common components and down-weights frequent words', () => {
    const dims = 4;
    const words = ['the', 'of', 'cat', 'dog', 'café', 'cafe'];
    const data = new Float32Array(words.length * dims);
    words.forEach((_, r) => {
      data[r * dims] = 1; // shared component
      data[r * dims + 1 + (r % 3)] = 1;
    });
    const corpus = ['the cat of the dog', 'the dog of the cat', 'a cafe of the cat'];
    const built = buildEncoderRows({ words, dims, data }, corpus, {
      ...DEFAULT_BUILD_PARAMS,
      commonComponents: 1,
      vocabLimit: 10,
    });
    // Accented and plain spellings merge into one key; the more frequent one is kept.
    expect(built.words).toEqual(['the', 'of', 'cat', 'dog', 'cafe']);
    const norm = (k: number) => Math.hypot(...built.rows.subarray(k * dims, (k + 1) * dims));
    expect(norm(0)).toBeLessThan(norm(2));
    const p = zipfProbabilities(6, 2.7, 1);
    expect(p[0]).toBeGreaterThan(p[5]!);
  });

  it('reads WordNet gloss lines into sentences of three or more words', () => {
    const line =
      '02084071 05 n 01 dog 0 001 @ 02083346 n 0000 | a member of the genus Canis; "the dog barked all night"; pet  ';
    expect(glossSentences(line)).toEqual([
      'a member of the genus Canis',
      'the dog barked all night',
    ]);
    expect(glossSentences('  1 This is a licence header line')).toEqual([]);
  });
});
