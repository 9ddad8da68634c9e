import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../src/engine/features.ts';
import { linearScores } from '../../src/engine/ranker.ts';
import { RankerError, type RankerManifest } from '../../src/models/ranker-manifest.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { fetchRanker } from '../../src/worker/ranker-loader.ts';

const manifestText = readFileSync('models/ranker/manifest.json', 'utf8');
const manifest = JSON.parse(manifestText) as RankerManifest;
const onnx = readFileSync(`models/ranker/${manifest.onnx}`);

function serve(files: Record<string, Uint8Array | string>): typeof fetch {
  return async (input) => {
    const name = String(input).split('/ranker/')[1] ?? '';
    const body = files[name];
    return body === undefined
      ? new Response('missing', { status: 404 })
      : new Response(typeof body === 'string' ? body : new Uint8Array(body));
  };
}

describe('fetchRanker', () => {
  it('scores like the linear model before and after ONNX Runtime is ready', async () => {
    // Arrange
    const ranker = await fetchRanker({
      modelsUrl: 'https://x/models/',
      fetch: serve({ 'manifest.json': manifestText, [manifest.onnx]: onnx }),
    });
    const rng = seededRng(3);
    const features = Float32Array.from({ length: 5 * FEATURE_COUNT }, () => rng());
    const expected = linearScores(Float32Array.from(manifest.weights), manifest.bias, features, 5);
    // Act
    const early = await ranker.score(features, 5);
    await ranker.startOnnx();
    const late = await ranker.score(features, 5);
    // Assert
    for (let i = 0; i < 5; i++) {
      expect(early[i]).toBeCloseTo(expected[i] ?? Number.NaN, 5);
      expect(late[i]).toBeCloseTo(expected[i] ?? Number.NaN, 4);
    }
  });

  it('refuses ONNX bytes whose sha256 differs from the manifest', async () => {
    // Arrange
    const damaged = Uint8Array.from(onnx);
    damaged[0] = (damaged[0] ?? 0) ^ 1;
    // Act / Assert
    await expect(
      fetchRanker({
        modelsUrl: 'https://x/models/',
        fetch: serve({ 'manifest.json': manifestText, [manifest.onnx]: damaged }),
      }),
    ).rejects.toBeInstanceOf(RankerError);
  });

  it('names the missing file and what to deploy on HTTP 404', async () => {
    // Act / Assert
    await expect(fetchRanker({ modelsUrl: 'https://x/models/', fetch: serve({}) })).rejects.toThrow(
      /manifest\.json answered HTTP 404; serve the build's models\/ranker\/ folder under the models URL/,
    );
  });
});
