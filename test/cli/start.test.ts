import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/start.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import { learnableFeatures } from '../../src/federated/ranker-update.ts';
import { rhoToEpsilon } from '../../src/privacy/rdp.ts';
import { RoundConfigSchema } from '../../src/protocol/round.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-start-'));
  await mkdir(join(dir, 'dist/models/ranker'), { recursive: true });
  await writeFile(join(dir, 'dist/index.html'), '<!doctype html><title>demo</title>');
  await writeFile(
    join(dir, 'dist/models/ranker/manifest.json'),
    await readFile('models/ranker/manifest.json', 'utf8'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start: the demo server', () => {
  it('opens federated ranker rounds from the shipped ranker, once, at ε = 0.25 per update', async () => {
    // Arrange
    const options = {
      port: 0,
      host: '127.0.0.1',
      db: join(dir, 'server.db'),
      dist: join(dir, 'dist'),
    };
    const shipped = JSON.parse(await readFile('models/ranker/manifest.json', 'utf8')) as {
      weights: number[];
    };
    // Act: start twice on the same database.
    for (let run = 0; run < 2; run++) {
      const demo = await startDemo(options);
      try {
        const round = RoundConfigSchema.parse(await (await fetch(`${demo.url}v1/round`)).json());
        const body = (await (await fetch(`${demo.url}v1/model?name=ranker`)).json()) as {
          models: { version: number; data: string; layout: { features: string[] } }[];
        };
        // Assert
        expect(round).toMatchObject({ model: 'ranker', modelVersion: 0, clipNorm: 0.5 });
        const rho = 2 / round.noiseMultiplier ** 2;
        expect(rhoToEpsilon(rho, 1e-6)).toBeCloseTo(0.25, 3);
        const entry = body.models[0]!;
        expect(entry.layout.features).toEqual(learnableFeatures());
        const weights = new Float32Array(Uint8Array.from(Buffer.from(entry.data, 'base64')).buffer);
        const simLong = FEATURE_NAMES.indexOf('sim_long');
        expect(weights[0]).toBeCloseTo(shipped.weights[simLong]!, 4);
      } finally {
        await demo.close();
      }
    }
  });
});
