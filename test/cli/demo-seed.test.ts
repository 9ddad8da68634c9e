/**
 * `npm start`'s seed on a tiny configuration: simulated visitors' DAP reports are accepted by both
 * aggregators, the operator's collections build the `cooccurrence` model with released pairs, the
 * seed promotes it with its override and reason, the page is told it was learned from simulated
 * visitors, and a second start on the same database does not seed again.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_SEED,
  DEMO_SEED_TASK_PREFIX,
  type DemoSeedConfig,
  type DemoSeedOutcome,
  seedDemo,
} from '../../src/cli/demo-seed.ts';
import { seedOption, startDemo } from '../../src/cli/start.ts';
import { CooccurrenceLayoutSchema } from '../../src/protocol/cooccurrence.ts';
import { DapTaskListSchema } from '../../src/protocol/dap.ts';
import { DEMO_SEED_META } from '../../src/protocol/demo-seed.ts';
import { ModelsResponseSchema } from '../../src/protocol/model.ts';
import { readSeedNote } from '../../src/widget/demo/seed-note.ts';

/** Six books in one category: every simulated visitor likes four to six of them. */
const BOOKS = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => ({
  id: `book-${x}`,
  title: `Book ${x.toUpperCase()}`,
  category: 'Tales',
  author: `Author ${x}`,
}));

/** 40 visitors whose likes overlap heavily: pairs clear the noise by a wide margin. */
const TINY: DemoSeedConfig = {
  ...DEMO_SEED,
  visitors: 40,
  statistics: { ...DEMO_SEED.statistics, head: 6, cells: 15, pairsMinSignal: 1 },
  tastes: { ...DEMO_SEED.tastes, minLikes: 4, maxLikes: 6, noise: 0, zipf: 0.5 },
  threads: 0,
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-seed-'));
  await mkdir(join(dir, 'dist'), { recursive: true });
  await writeFile(
    join(dir, 'dist/index.html'),
    '<!doctype html><html><head><title>demo</title></head><body></body></html>',
  );
  await writeFile(join(dir, 'dist/demo-catalog.json'), JSON.stringify(BOOKS));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the demo over the test's dist/ and `db`, seeding with `seed` (none when undefined). */
async function started(db: string, seed: DemoSeedConfig | undefined) {
  const lines: string[] = [];
  const demo = await startDemo({
    port: 0,
    host: '127.0.0.1',
    db: join(dir, db),
    dist: join(dir, 'dist'),
    ...(seed === undefined ? {} : { seed }),
    log: (line) => lines.push(line),
  });
  return { demo, lines };
}

/** The seed note the page gets in its meta tag, or null. */
async function pageNote(url: string) {
  const html = await (await fetch(url)).text();
  const content = new RegExp(`<meta name="${DEMO_SEED_META}" content="([^"]*)">`).exec(html)?.[1];
  return readSeedNote(content?.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

async function servedModel(url: string) {
  const body = ModelsResponseSchema.parse(
    await (await fetch(`${url}v1/model?name=cooccurrence.served`)).json(),
  );
  return body.models[0] ?? null;
}

describe('npm start: the seed of simulated visitors', () => {
  it('seeds through DAP: every report accepted, pairs released, the model promoted and labelled as simulated', async () => {
    // Arrange
    const { demo, lines } = await started('seeded.db', TINY);
    try {
      // Act: the page is served while the seed runs, and says so.
      await expect.poll(() => pageNote(demo.url)).not.toBeNull();
      const meanwhile = await pageNote(demo.url);
      const outcome = await demo.seeded;
      // Assert: the reports and the release.
      expect(outcome?.kind).toBe('seeded');
      const summary = (outcome as Extract<DemoSeedOutcome, { kind: 'seeded' }>).summary;
      expect(summary).toMatchObject({ visitors: 40, reports: 80, failed: 0, items: 6 });
      expect(summary.epsilon).toBeCloseTo(8, 6);
      expect(summary.pairs).toBeGreaterThan(0);
      // The served copy is the collector's model of both releases, 40 reports each.
      const served = await servedModel(demo.url);
      const layout = CooccurrenceLayoutSchema.parse(served?.layout);
      expect(layout.sources.map((s) => [s.kind, s.reports])).toEqual([
        ['item-histogram', 40],
        ['pair-counts', 40],
      ]);
      expect(layout.pairs.count).toBe(summary.pairs);
      expect(layout.epsilon).toBeCloseTo(8, 6);
      // The seed's tasks were never offered to the page's visitors (closed window).
      const open = DapTaskListSchema.parse(await (await fetch(`${demo.url}v1/dap/tasks`)).json());
      expect(open.tasks.some((t) => t.name.startsWith(DEMO_SEED_TASK_PREFIX))).toBe(false);
      // The page is told where the model came from, while seeding and once served.
      expect(meanwhile).toEqual({ state: 'seeding', visitors: 40, epsilon: 8, delta: 1e-6 });
      expect(await pageNote(demo.url)).toEqual({
        state: 'seeded',
        visitors: 40,
        epsilon: summary.epsilon,
        delta: 1e-6,
        pairs: summary.pairs,
      });
      expect(lines[0]).toBe(
        'seeding the demo with 40 simulated visitors through DAP: 0/80 reports',
      );
      expect(lines).toContain(
        'seeding the demo with 40 simulated visitors through DAP: 80/80 reports',
      );
      expect(lines.at(-1)).toMatch(
        /^seeded the demo's shared model from 40 simulated visitors through DAP in \d+ s: 80 reports accepted, ε = 8\.00 per simulated visitor/,
      );
    } finally {
      await demo.close();
    }
  }, 120_000);

  it('does not seed again a database whose served model a seed promoted, and still labels it', async () => {
    // Arrange: a first start seeds.
    const first = await started('again.db', TINY);
    await first.demo.seeded;
    const before = await servedModel(first.demo.url);
    await first.demo.close();
    // Act: a second start on the same database.
    const second = await started('again.db', TINY);
    try {
      const outcome = await second.demo.seeded;
      // Assert
      expect(outcome?.kind).toBe('already');
      expect((await servedModel(second.demo.url))?.version).toBe(before?.version);
      expect((await pageNote(second.demo.url))?.state).toBe('seeded');
      expect(second.lines).toEqual([
        expect.stringMatching(/^the demo's shared model was seeded before \(40 simulated visitors/),
      ]);
    } finally {
      await second.demo.close();
    }
    // And without a seed asked for, the page still learns the served model is the seeded one.
    const third = await started('again.db', undefined);
    try {
      expect(await third.demo.seeded).toBeNull();
      expect((await pageNote(third.demo.url))?.visitors).toBe(40);
    } finally {
      await third.demo.close();
    }
  }, 120_000);

  it('stops a running seed when the server closes, serving nothing', async () => {
    // Arrange: a seed far too long to finish during the test.
    const { demo, lines } = await started('abort.db', { ...TINY, visitors: 5_000 });
    await expect.poll(() => lines.length).toBeGreaterThan(0);
    // Act
    await demo.close();
    // Assert
    expect(await demo.seeded).toEqual({ kind: 'aborted' });
    expect(lines.at(-1)).toBe('the demo seed stopped (the server is closing).');
    const again = await started('abort.db', undefined);
    try {
      expect(await servedModel(again.demo.url)).toBeNull();
      expect(await pageNote(again.demo.url)).toBeNull();
    } finally {
      await again.demo.close();
    }
  });

  it('sends nothing and labels nothing when the seed is off', async () => {
    // Arrange / Act
    const { demo, lines } = await started('off.db', undefined);
    try {
      // Assert
      expect(await demo.seeded).toBeNull();
      expect(await servedModel(demo.url)).toBeNull();
      expect(await pageNote(demo.url)).toBeNull();
      expect(lines).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});

describe('the seed and a model the operator promoted', () => {
  it('never seeds over a served model it did not promote', async () => {
    // Arrange: a served cooccurrence (version 3) with no record of a seed.
    const settings = new Map<string, string>();
    const store = {
      getSetting: (key: string) => settings.get(key) ?? null,
      setSetting: (key: string, value: string) => void settings.set(key, value),
      latestVersion: (name: string) => (name === 'cooccurrence.served' ? 3 : null),
    };
    const requests: string[] = [];
    // Act
    const outcome = await seedDemo(
      {
        fetch: async (url) => {
          requests.push(url);
          return new Response(null, { status: 500 });
        },
        server: 'http://leader.test/',
        helper: 'http://helper.test/dap/',
        adminToken: 't'.repeat(43),
        store,
        books: BOOKS,
        log: () => undefined,
      },
      TINY,
    );
    // Assert
    expect(outcome).toEqual({
      kind: 'skipped',
      reason:
        "a 'cooccurrence' model is already served (version 3, promoted by the operator); the seed never replaces it",
    });
    expect(requests).toEqual([]);
    expect(settings.size).toBe(0);
  });
});

describe('hearth start: the seed options', () => {
  it('seeds 300 simulated visitors by default and --seed-visitors of them when given', () => {
    expect(seedOption({}, {})?.visitors).toBe(300);
    expect(seedOption({ 'seed-visitors': '120' }, {})).toEqual({ ...DEMO_SEED, visitors: 120 });
  });

  it('skips the seed with --no-seed or HEARTH_DEMO_SEED=0', () => {
    expect(seedOption({ 'no-seed': true }, {})).toBeUndefined();
    expect(seedOption({}, { HEARTH_DEMO_SEED: '0' })).toBeUndefined();
  });

  it('refuses a --seed-visitors that is not a whole number from 2 to 100000', () => {
    for (const raw of ['1', '2.5', 'many', '100001'])
      expect(() => seedOption({ 'seed-visitors': raw }, {})).toThrow(
        `--seed-visitors must be a whole number from 2 to 100000, got '${raw}'.`,
      );
  });
});
