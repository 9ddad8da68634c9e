import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDemo } from '../../src/cli/start.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import { learnableFeatures } from '../../src/federated/ranker-update.ts';
import { rhoToEpsilon } from '../../src/privacy/rdp.ts';
import { DapTaskListSchema } from '../../src/protocol/dap.ts';
import { RoundConfigSchema } from '../../src/protocol/round.ts';
import { GEAR_CATALOG } from '../../support/gear-catalog.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-start-'));
  await mkdir(join(dir, 'dist/models/ranker'), { recursive: true });
  await writeFile(
    join(dir, 'dist/index.html'),
    '<!doctype html><html><head><title>demo</title></head><body></body></html>',
  );
  await writeFile(
    join(dir, 'dist/demo-catalog.json'),
    JSON.stringify([
      { id: 'book-a', title: 'A' },
      { id: 'book-b', title: 'B' },
    ]),
  );
  await writeFile(
    join(dir, 'dist/models/ranker/manifest.json'),
    await readFile('models/ranker/manifest.json', 'utf8'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** startDemo's options on a free port over the test's dist/ and its own database file. */
const demoOptions = (db: string) => ({
  port: 0,
  host: '127.0.0.1',
  db: join(dir, db),
  dist: join(dir, 'dist'),
});

describe('npm start: the demo server', () => {
  it('opens federated ranker rounds from the shipped ranker, once, at ε = 0.25 per update', async () => {
    // Arrange
    const options = demoOptions('server.db');
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

  it("keeps the thin server's catalog in step with the demo catalog file, with a notice when it changed", async () => {
    // Arrange: a first start with three books, then the site owner's gear catalog in its place.
    const options = demoOptions('catalog-step.db');
    const file = join(dir, 'dist/demo-catalog.json');
    const books = [1, 2, 3].map((n) => ({ id: `book-${n}`, title: `Book ${n}` }));
    await writeFile(file, JSON.stringify(books));
    const served = async () => {
      const demo = await startDemo(options);
      try {
        const body = (await (await fetch(`${demo.url}v1/catalog`)).json()) as {
          items: { id: string }[];
        };
        return body.items.map((i) => i.id).sort();
      } finally {
        await demo.close();
      }
    };
    const first = await served();
    await writeFile(file, JSON.stringify(GEAR_CATALOG));
    let notices = '';
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      notices += String(chunk);
      return true;
    });
    // Act
    let second: string[];
    try {
      second = await served();
    } finally {
      stderr.mockRestore();
    }
    // Assert
    expect(first).toEqual(['book-1', 'book-2', 'book-3']);
    expect(second).toEqual(GEAR_CATALOG.map((g) => g.id).sort());
    expect(notices).toMatch(
      /^hearth start: the thin server's catalog was updated from .*demo-catalog\.json \(20 items, version 2\)\.\n$/,
    );
  });
});

describe('npm start: both secure-aggregation aggregators', () => {
  it("publishes the demo's popularity and ranker tasks naming its own helper, whose key the page's origin may read", async () => {
    // Arrange
    const demo = await startDemo({
      ...demoOptions('dap-leader.db'),
      helperDb: join(dir, 'dap-helper.db'),
    });
    const catalogIds = (
      JSON.parse(await readFile(join(dir, 'dist/demo-catalog.json'), 'utf8')) as { id: string }[]
    ).map((i) => i.id);
    try {
      // Act
      const { tasks } = DapTaskListSchema.parse(
        await (await fetch(`${demo.url}v1/dap/tasks`)).json(),
      );
      const origin = new URL(demo.url).origin;
      const key = await fetch(`${demo.helperUrl}hpke_config?task_id=${tasks[0]?.id}`, {
        headers: { origin },
      });
      const page = await (await fetch(demo.url)).text();
      // Assert
      expect(tasks.map((t) => [t.name, t.measurement.kind])).toEqual([
        ['item popularity', 'item-histogram'],
        ['ranker update', 'ranker-update'],
      ]);
      for (const t of tasks)
        expect([t.leader, t.helper]).toEqual([`${demo.url}dap/`, demo.helperUrl]);
      const [popularity, ranker] = tasks;
      expect(popularity?.measurement).toEqual({
        kind: 'item-histogram',
        items: catalogIds,
        maxItems: 20,
      });
      expect(rhoToEpsilon(popularity?.noise.rho ?? 0, 1e-6)).toBeCloseTo(1, 3);
      expect(rhoToEpsilon(ranker?.noise.rho ?? 0, 1e-6)).toBeCloseTo(0.25, 3);
      expect(key.status).toBe(200);
      expect(key.headers.get('content-type')).toBe('application/dap-hpke-config-list');
      expect(key.headers.get('access-control-allow-origin')).toBe(origin);
      expect(page).toContain(`<meta name="hearth-helper" content="${demo.helperUrl}">`);
    } finally {
      await demo.close();
    }
  });
});
