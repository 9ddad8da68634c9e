/**
 * Widget and browser figures: `widget.js_gzip_bytes` (the widget entry and its chunks, without
 * the engine worker, ONNX Runtime or the model) from a `vite build` into a temp folder, and
 * `browser.first_recs_ms_cold` / `browser.first_recs_ms_warm` (navigation start → first
 * recommendations rendered by <hearth-recs> on the demo page, headless Chromium, dev server).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startBrowserHarness } from '../test/browser/harness.ts';
import type { BenchFigures, BenchSuite } from './types.ts';

async function widgetGzipBytes(): Promise<number> {
  const { build } = await import('vite');
  const out = await mkdtemp(join(tmpdir(), 'hearth-bench-build-'));
  try {
    await build({
      configFile: resolve('vite.config.ts'),
      logLevel: 'silent',
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

async function firstRecs(): Promise<{ cold: number | null; warm: number | null }> {
  const harness = await startBrowserHarness();
  try {
    const measure = async (): Promise<number | null> => {
      const page = await harness.newPage();
      await page.goto(harness.baseUrl);
      const ms = await page
        .waitForFunction(
          () => {
            const li = document
              .querySelector('hearth-recs')
              ?.shadowRoot?.querySelector('li[data-item-id]');
            return li ? performance.now() : null;
          },
          null,
          { timeout: 20_000, polling: 'raf' },
        )
        .then((h) => h.jsonValue() as Promise<number>)
        .catch(() => null);
      await page.close();
      return ms;
    };
    const cold = await measure();
    const warm = await measure();
    return { cold, warm };
  } finally {
    await harness.close();
  }
}

const suite: BenchSuite = {
  name: 'browser',
  async run({ log }) {
    const figures: BenchFigures = {};
    log('browser: building the widget');
    figures['widget.js_gzip_bytes'] = await widgetGzipBytes();
    log('browser: first recommendations in Chromium');
    const { cold, warm } = await firstRecs();
    figures['browser.first_recs_ms_cold'] = cold;
    figures['browser.first_recs_ms_warm'] = warm;
    // Needs the engine in the worker; reported as null until workers/engine.worker.ts exposes it.
    figures['browser.recommend_p95_ms_10k'] = null;
    return figures;
  },
};

export default suite;
