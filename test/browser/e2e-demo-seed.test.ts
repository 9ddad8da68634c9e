/**
 * End to end against the BUILT demo with `npm start`'s seed: simulated visitors teach the shared
 * item-item model through the two DAP aggregators, the seed promotes it, and in headless Chromium a
 * visitor who turns sharing on and likes a book of a released pair is told "Visitors who liked X
 * also liked this"; the page labels the model as learned from simulated visitors, in the note
 * under the recommendations and in the privacy panel.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SEED, type DemoSeedOutcome } from '../../src/cli/demo-seed.ts';
import { type DemoServer, startDemo } from '../../src/cli/start.ts';
import { CooccurrenceLayoutSchema } from '../../src/protocol/cooccurrence.ts';
import { ModelsResponseSchema } from '../../src/protocol/model.ts';
import { type ChromiumSession, type Page, startChromium } from '../../support/browser-harness.ts';
import { ensureDemoBuilt } from '../../support/demo-build.ts';
import { docScreenshot } from '../../support/screenshots.ts';

/** Fewer visitors than `npm start`'s 300 keep the test short; still enough for released pairs. */
const VISITORS = 200;

let demo: DemoServer;
let chromium: ChromiumSession;
let page: Page;
let dbDir: string;
let outcome: DemoSeedOutcome | null;

/** The released pair with the largest count in the served model: [liked id, title]. */
async function strongestPair(): Promise<{ id: string; title: string }> {
  const body = ModelsResponseSchema.parse(
    await (await fetch(`${demo.url}v1/model?name=cooccurrence.served`)).json(),
  );
  const entry = body.models[0];
  const layout = CooccurrenceLayoutSchema.parse(entry?.layout);
  const bytes = Buffer.from(entry?.data ?? '', 'base64');
  const params = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = layout.itemIds.length;
  const m = layout.pairs.count;
  const at = n + (layout.kernel.kind === 'attribute' ? n : 0);
  let best = 0;
  for (let k = 1; k < m; k++) if (params[at + 2 * m + k]! > params[at + 2 * m + best]!) best = k;
  const id = layout.itemIds[params[at + best]!]!;
  const catalog = (await (await fetch(`${demo.url}demo-catalog.json`)).json()) as {
    id: string;
    title: string;
  }[];
  return { id, title: catalog.find((b) => b.id === id)?.title ?? id };
}

beforeAll(async () => {
  await ensureDemoBuilt();
  dbDir = await mkdtemp(join(tmpdir(), 'hearth-e2e-seed-'));
  demo = await startDemo({
    port: 0,
    host: '127.0.0.1',
    db: join(dbDir, 'server.db'),
    seed: { ...DEMO_SEED, visitors: VISITORS },
    log: () => undefined,
  });
  [outcome, chromium] = await Promise.all([demo.seeded, startChromium()]);
  page = await chromium.newPage();
  await page.setViewportSize({ width: 1200, height: 820 });
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await demo?.close();
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
});

describe('npm start seeds the demo with simulated visitors through DAP', () => {
  it('seeds, releases pairs and promotes the shared model before the page is opened', () => {
    expect(outcome?.kind).toBe('seeded');
    if (outcome?.kind !== 'seeded') return;
    expect(outcome.summary).toMatchObject({ visitors: VISITORS, reports: 2 * VISITORS, failed: 0 });
    expect(outcome.summary.pairs).toBeGreaterThan(0);
  });

  it('labels the collaborative recommendations as learned from simulated visitors, under the widget and in the privacy panel', async () => {
    await page.goto(demo.url);
    const note = page.locator('#seed-note');
    await note.waitFor({ timeout: 60_000 });
    expect(await note.textContent()).toContain(
      `learned through secure aggregation from ${VISITORS} simulated demo visitors, not real people`,
    );
    const origin = page.locator('#model-origin', { hasText: 'simulated demo visitors' });
    await origin.waitFor({ timeout: 30_000 });
    const text = (await origin.textContent()) ?? '';
    expect(text).toContain(`from ${VISITORS} simulated demo visitors, not real people`);
    expect(text).toContain('two aggregators');
    expect(text).toContain('ε = 8.00 per simulated visitor');
    expect(text).toContain('Your own data is not in it');
    expect(text).toContain('only while sharing is on');
  }, 90_000);

  it('tells a visitor who likes a book of a released pair "Visitors who liked X also liked this"', async () => {
    const liked = await strongestPair();
    await page.locator('#consent').check();
    // With sharing on the worker downloads the served model (a request at ε 0, in the panel).
    await page
      .locator('#requests tr', { hasText: 'shared item-item model' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.goto(`${demo.url}?item=${liked.id}`);
    await page.locator('#item-title', { hasText: liked.title }).waitFor({ timeout: 60_000 });
    await page.locator('#item-like').click();
    const reason = page.locator('hearth-recs [part="reason"]', {
      hasText: `Visitors who liked ${liked.title} also liked this`,
    });
    await reason.first().waitFor({ timeout: 30_000 });
    expect(await page.locator('#model-origin').textContent()).toContain(
      'With sharing on, this device downloads the model',
    );
    await docScreenshot(page, 'demo-seeded.png');
  }, 90_000);
});
