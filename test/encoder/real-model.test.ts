import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, type Encoder } from '../../src/encoder/index.ts';

// The default model is built by `npm install` (postinstall) from an npm package; nothing is downloaded.
const manifestPath = fileURLToPath(
  new URL('../../models/hearth-encoder-v1/manifest.json', import.meta.url),
);

const SYNONYMS: [string, string][] = [
  ['a big house', 'a large home'],
  ['the car is fast', 'the automobile is quick'],
  ['a happy child', 'a joyful kid'],
  ['the film was boring', 'the movie was dull'],
  ['he bought a sofa', 'he purchased a couch'],
];
const UNRELATED: [string, string][] = [
  ['a big house', 'the stock market fell'],
  ['the car is fast', 'she is baking bread'],
  ['a happy child', 'the senate passed a bill'],
  ['the film was boring', 'a dog chased the ball'],
  ['he bought a sofa', 'rain is expected tomorrow'],
];

describe('hearth-encoder-v1 (built by npm install)', () => {
  let encoder: Encoder;
  beforeAll(async () => {
    encoder = await createEncoder();
  });

  it('fits the 8 MB budget and matches its manifest', async () => {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      dims: number;
      files: Record<string, { bytes: number }>;
    };
    const total = Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0);
    expect(total).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(encoder.info.dims).toBe(manifest.dims);
  });

  it('rates every synonym pair above its unrelated counterpart', async () => {
    const cos = async ([a, b]: [string, string]) => {
      const [x, y] = await encoder.embed([a, b]);
      return x!.reduce((s, v, i) => s + v * y![i]!, 0);
    };
    for (let i = 0; i < SYNONYMS.length; i++) {
      const near = await cos(SYNONYMS[i]!);
      const far = await cos(UNRELATED[i]!);
      expect(near, `${SYNONYMS[i]!.join(' / ')} vs ${UNRELATED[i]!.join(' / ')}`).toBeGreaterThan(
        far + 0.1,
      );
    }
  });
});
