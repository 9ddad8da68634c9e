import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createEncoder,
  type Encoder,
  EncoderInputError,
  EncoderModelError,
} from '../../src/encoder/index.ts';
import { TINY_DIMS, writeTinyModel } from '../../support/tiny-model.ts';

const norm = (v: Float32Array) => Math.hypot(...v);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('createEncoder on a tiny fixture model', () => {
  let encoder: Encoder;
  let dir: string;

  beforeAll(async () => {
    ({ dir } = await writeTinyModel());
    encoder = await createEncoder({ model: dir });
  });

  it('reports the manifest identity and shape', () => {
    expect(encoder.info.id).toBe('tiny-encoder');
    expect(encoder.info.dims).toBe(TINY_DIMS);
    expect(encoder.info.version).toMatch(/^1\.0\.0\+[0-9a-f]{12}$/);
  });

  it('returns unit vectors in input order, similar words closer than unrelated ones', async () => {
    const [cat, kitten, truck] = await encoder.embed(['Cat.', 'a KITTEN!', 'truck']);
    expect(norm(cat!)).toBeCloseTo(1, 5);
    expect(dot(cat!, kitten!)).toBeGreaterThan(0.8);
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, truck!) + 0.5);
  });

  it('gives a zero vector and empty: true for text with no known word, never NaN', async () => {
    const inputs = [
      '',
      '   \t\n',
      '😀🎉',
      '東京は大きい',
      'zzzz qqqq',
      'bad \uD800 half \uDC00 surrogates',
      'кот cat 猫',
    ];
    const result = await encoder.embedDetailed(inputs);
    expect(result.empty).toEqual([true, true, true, true, true, true, false]);
    for (const v of result.vectors) {
      expect(v).toHaveLength(TINY_DIMS);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    for (const v of result.vectors.slice(0, 6)) expect(norm(v)).toBe(0);
    expect(norm(result.vectors[6]!)).toBeCloseTo(1, 5);
  });

  it('truncates 200 KB of text to the model maximum and says so', async () => {
    const long = 'cat dog '.repeat(25_000);
    const result = await encoder.embedDetailed([long, 'cat']);
    expect(result.truncated).toEqual([true, false]);
    expect(result.vectors[0]!.every(Number.isFinite)).toBe(true);
    expect(norm(result.vectors[0]!)).toBeCloseTo(1, 5);
  });

  it('embeds more texts than one batch, in order', async () => {
    const texts = Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? 'cat' : 'truck'));
    const vectors = await encoder.embed(texts);
    expect(vectors).toHaveLength(150);
    expect(dot(vectors[0]!, vectors[148]!)).toBeCloseTo(1, 5);
    expect(dot(vectors[0]!, vectors[149]!)).toBeLessThan(0.5);
  });

  it('rejects a non-string input with a precise error', async () => {
    await expect(encoder.embed(['cat', 42 as unknown as string])).rejects.toThrow(
      EncoderInputError,
    );
    await expect(encoder.embed(['cat', 42 as unknown as string])).rejects.toThrow(
      /Input 1 is a number/,
    );
  });
});

describe('createEncoder with a damaged model directory', () => {
  it('names the corrupted file and the fix when a sha256 does not match', async () => {
    const { dir } = await writeTinyModel();
    await writeFile(join(dir, 'tokenizer.json'), '{"tampered": true}');
    const error = await createEncoder({ model: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncoderModelError);
    expect((error as EncoderModelError).file).toBe('tokenizer.json');
    expect((error as Error).message).toMatch(/tokenizer\.json.*corrupted.*npm run build:models/);
  });

  it('names the missing file and the fix', async () => {
    const { dir } = await writeTinyModel();
    await rm(join(dir, 'onnx/model_quantized.onnx'));
    await expect(createEncoder({ model: dir })).rejects.toThrow(
      /model_quantized\.onnx' is missing.*npm run build:models/,
    );
  });

  it('loads a model directory without a manifest (any transformers.js layout)', async () => {
    const { dir } = await writeTinyModel();
    await rm(join(dir, 'manifest.json'));
    const encoder = await createEncoder({ model: dir });
    const [v] = await encoder.embed(['dog']);
    expect(encoder.info.dims).toBe(TINY_DIMS);
    expect(norm(v!)).toBeCloseTo(1, 5);
  });
});
