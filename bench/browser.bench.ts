/**
 * Widget and browser figures, headless Chromium:
 * - `widget.js_gzip_bytes`: the widget entry and its chunks (without the engine worker, ONNX
 *   Runtime or the model), from a `vite build` into a temp folder;
 * - `browser.first_recs_ms_cold` / `_warm`: navigation start → first recommendations rendered by
 *   <hearth-recs> on the BUILT demo served by `startDemo` (300 items). Cold: empty profile (model,
 *   ORT and catalog downloaded, 300 items embedded). Warm: median of 5 later navigations, 2 s apart (service
 *   worker, IndexedDB and model caches filled);
 * - `browser.recommend_p95_ms_10k` (and p50): `Hearth.recommend({ limit: 8 })` round trips to the
 *   real engine worker over a 10,000-item synthetic catalog with 5 events (dev server page).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildDemo, needsBuild, startDemo } from '../src/cli/start.ts';
import { seededRng } from '../src/shared/rng.ts';
import { type Page, startBrowserHarness, startChromium } from '../support/browser-harness.ts';
import type { BenchFigures, BenchSuite } from './types.ts';

async function widgetGzipBytes(): Promise<number> {
  const { build } = await import('vite');
  const out = await mkdtemp(join(tmpdir(), 'hearth-bench-build-'));
  try {
    await build({
      configFile: resolve('vite.config.ts'),
      logLevel: 'silent',
      mode: 'production',
      build: { outDir: out, emptyOutDir: true },
    });
    const assets = await readdir(join(out, 'assets'));
    const files = [
      join(out, 'hearth', 'hearth-widget.js'),
      ...assets.filter((f) => /^widget-.*\.js$/.test(f)).map((f) => join(out, 'assets', f)),
    ];
    let total = 0;
    for (const file of files) total += gzipSync(await readFile(file), { level: 9 }).byteLength;
    return total;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Records `performance.now()` at the first `hearth:recommendations` event of each page load. */
const FIRST_RECS_PROBE = `document.addEventListener('hearth:recommendations', () => {
  if (window.__firstRecs === undefined) window.__firstRecs = performance.now();
});`;

async function firstRecsOn(page: Page, url: string): Promise<number | null> {
  await page.goto(url);
  return page
    .waitForFunction(() => (window as { __firstRecs?: number }).__firstRecs ?? null, null, {
      timeout: 60_000,
    })
    .then((h) => h.jsonValue() as Promise<number>)
    .catch(() => null);
}

function median(values: number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : (sorted[Math.floor(sorted.length / 2)] ?? null);
}

async function firstRecs(): Promise<{ cold: number | null; warm: number | null }> {
  if (needsBuild()) await buildDemo();
  const dir = await mkdtemp(join(tmpdir(), 'hearth-bench-demo-'));
  const demo = await startDemo({ port: 0, host: '127.0.0.1', db: join(dir, 'server.db') });
  const chromium = await startChromium();
  try {
    await chromium.context.addInitScript(FIRST_RECS_PROBE);
    const page = await chromium.newPage();
    const cold = await firstRecsOn(page, demo.url);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Let the previous load settle (its ONNX Runtime warm-up starts after its first results).
      await page.waitForTimeout(2000);
      const ms = await firstRecsOn(page, demo.url);
      if (ms !== null) warm.push(ms);
    }
    return { cold, warm: median(warm) };
  } finally {
    await chromium.close();
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const WORDS = (
  'ancient river castle winter garden mystery voyage letters empire ghost machine island ' +
  'comedy war love science ocean mountain city detective poetry journey family storm night ' +
  'kingdom desert forest secret music painter revolution friendship village dragon star'
).split(' ');
const CATEGORIES = ['Mystery', 'Adventure', 'Romance', 'Science', 'History', 'Poetry', 'Horror'];

/** A seeded synthetic catalog of `n` items (titles, descriptions and tags from a small vocabulary). */
export function syntheticCatalog(n: number, seed: number): object[] {
  const rng = seededRng(seed);
  const pick = () => WORDS[Math.floor(rng() * WORDS.length)] ?? 'book';
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    title: `The ${pick()} of the ${pick()} ${i}`,
    description: Array.from({ length: 14 }, pick).join(' '),
    tags: [pick(), pick()],
    category: CATEGORIES[i % CATEGORIES.length],
  }));
}

async function recommendP95(n: number): Promise<{ p50: number | null; p95: number | null }> {
  const harness = await startBrowserHarness();
  try {
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/test/browser/pages/real-widget.html`);
    await page.waitForFunction(() => 'startHearth' in window);
    const times = await page.evaluate(
      async (json) => {
        type H = {
          startHearth(j: string): Promise<{ items: number }>;
          Hearth: {
            track(e: { kind: string; itemId: string }): Promise<void>;
            recommend(r: { limit: number }): Promise<unknown[]>;
          };
        };
        const w = window as unknown as H;
        const loaded = await w.startHearth(json);
        if (loaded.items !== JSON.parse(json).length)
          throw new Error(`loaded ${loaded.items} items`);
        for (const id of ['s1', 's20', 's300', 's4000', 's9000'])
          await w.Hearth.track({ kind: 'view', itemId: id });
        const out: number[] = [];
        for (let i = 0; i < 110; i++) {
          const t = performance.now();
          const recs = await w.Hearth.recommend({ limit: 8 });
          if (recs.length !== 8) throw new Error(`recommend gave ${recs.length} items, not 8`);
          if (i >= 10) out.push(performance.now() - t); // 10 warm-up calls
        }
        return out;
      },
      JSON.stringify(syntheticCatalog(n, 7)),
    );
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5) ?? null, p95: at(0.95) ?? null };
  } finally {
    await harness.close();
  }
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

const suite: BenchSuite = {
  name: 'browser',
  async run({ log }) {
    const figures: BenchFigures = {};
    log('browser: building the widget');
    figures['widget.js_gzip_bytes'] = await widgetGzipBytes();
    log('browser: first recommendations on the built demo in Chromium (cold, then warm)');
    const { cold, warm } = await firstRecs();
    figures['browser.first_recs_ms_cold'] = round(cold);
    figures['browser.first_recs_ms_warm'] = round(warm);
    log('browser: recommend() over 10k items in the engine worker');
    const { p50, p95 } = await recommendP95(10_000);
    figures['browser.recommend_p50_ms_10k'] = round(p50);
    figures['browser.recommend_p95_ms_10k'] = round(p95);
    return figures;
  },
};

export default suite;
