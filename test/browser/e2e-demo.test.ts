/**
 * End to end against the BUILT demo (`vite build` → dist/, served by `npm start`'s `startDemo`
 * with the thin server's /v1 API) in headless Chromium: the real engine worker (catalog sync,
 * encoder, ONNX ranker, IndexedDB), the service worker, consent on with LDP telemetry sent to the
 * thin server, and a network audit over the whole session.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, type DemoServer, needsBuild, startDemo } from '../../src/cli/start.ts';
import { type ChromiumSession, type Page, startChromium } from '../../support/browser-harness.ts';

const PROMPT = 'haunted castles with ghosts and vampires';
const LIKED = { id: 'pd-dracula', title: 'Dracula' };
/** Viewed before LIKED, so the visitor has a ranking example (LIKED after it) to train on. */
const VIEWED_FIRST = { id: 'pd-carmilla', title: 'Carmilla' };
const CATEGORY = new Map(
  (
    JSON.parse(readFileSync('public/demo-catalog.json', 'utf8')) as {
      id: string;
      category: string;
    }[]
  ).map((i) => [i.id, i.category]),
);

let demo: DemoServer;
let chromium: ChromiumSession;
let page: Page;
let dbDir: string;
let session = 0;
const sent: { url: string; body: string; session: number }[] = [];

/** Ids of the rendered cards, waiting until at least one is there. */
async function cardIds(p: Page): Promise<string[]> {
  await p.locator('hearth-recs li[part="card"]').first().waitFor({ timeout: 60_000 });
  return p
    .locator('hearth-recs li[part="card"]')
    .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-item-id') ?? ''));
}

/** The count in the privacy panel's "events" row of local storage. */
async function storedEvents(p: Page): Promise<number> {
  const row = p.locator('#storage tr', { hasText: 'events' }).first();
  await row.waitFor({ timeout: 20_000 });
  const text = (await row.textContent()) ?? '';
  return Number(/events\D*(\d+)/.exec(text)?.[1] ?? Number.NaN);
}

async function reload(p: Page): Promise<void> {
  session += 1;
  await p.reload();
}

beforeAll(async () => {
  if (needsBuild()) await buildDemo();
  dbDir = await mkdtemp(join(tmpdir(), 'hearth-e2e-'));
  demo = await startDemo({ port: 0, host: '127.0.0.1', db: join(dbDir, 'server.db') });
  chromium = await startChromium();
  chromium.context.on('request', (request) => {
    sent.push({
      url: request.url(),
      body: request.postData() ?? '',
      session,
    });
  });
  page = await chromium.newPage();
  await page.setViewportSize({ width: 1200, height: 820 });
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await demo?.close();
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
});

describe('built demo with the real engine worker', () => {
  it('renders recommendations from the real worker and installs the offline service worker', async () => {
    await page.goto(demo.url);
    const ids = await cardIds(page);
    expect(ids.length).toBe(8);
    expect(ids.every((id) => CATEGORY.has(id))).toBe(true);
    const installed = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active?.state ?? 'none';
    });
    expect(installed).toBe('activated');
  }, 90_000);

  it('moves the results toward items matching a typed prompt', async () => {
    const horror = (ids: string[]) => ids.filter((id) => CATEGORY.get(id) === 'Horror').length;
    const before = horror(await cardIds(page));
    const rendered = page.evaluate(
      () =>
        new Promise<string[]>((done) =>
          document.addEventListener(
            'hearth:recommendations',
            (e) => done((e as CustomEvent<{ items: string[] }>).detail.items),
            { once: true },
          ),
        ),
    );
    await page.locator('hearth-recs input[type=search]').fill(PROMPT);
    await page.locator('hearth-recs button[type=submit]').click();
    const after = horror(await rendered);
    expect(after).toBeGreaterThanOrEqual(4);
    expect(after).toBeGreaterThan(before);
  }, 90_000);

  it('keeps a like across a reload (IndexedDB) and sends only LDP telemetry and a noised update with consent on', async () => {
    await page.goto(`${demo.url}?item=${VIEWED_FIRST.id}`);
    await page.locator('#item-title', { hasText: VIEWED_FIRST.title }).waitFor({ timeout: 60_000 });
    await page.goto(`${demo.url}?item=${LIKED.id}`);
    await page.locator('#item-title', { hasText: LIKED.title }).waitFor({ timeout: 60_000 });
    await page.locator('#consent').check();
    await page.locator('#item-like').click();
    await expect.poll(() => storedEvents(page), { timeout: 20_000 }).toBe(3); // 2 views + like
    const telemetry = page.waitForResponse((r) => r.url().endsWith('/v1/telemetry'));
    await page.locator('#send-now').click();
    expect((await telemetry).status()).toBe(202);
    await page.locator('#requests tr', { hasText: 'OLH item reports' }).first().waitFor();
    // A federated ranker round (the demo server opens one): a clipped, noised update leaves.
    const update = page.waitForResponse((r) => r.url().endsWith('/v1/updates'));
    await page.locator('#train-now').click();
    expect((await update).status()).toBe(202);
    await page.locator('#train-status', { hasText: 'Sent one clipped, noised update' }).waitFor();
    await page.locator('#requests tr', { hasText: 'model update for ranker' }).first().waitFor();
    await page.locator('#privacy').screenshot({ path: 'docs/screenshots/privacy-panel.png' });
    await page.screenshot({ path: 'docs/screenshots/demo-item.png' });
    await reload(page);
    await page.locator('#item-title', { hasText: LIKED.title }).waitFor({ timeout: 60_000 });
    // two views and a like from before the reload, and this page load's view
    await expect.poll(() => storedEvents(page), { timeout: 20_000 }).toBe(4);
    // The consent choice is kept on the device: this load's view is reported too.
    await expect.poll(() => page.locator('#consent').isChecked(), { timeout: 20_000 }).toBe(true);
    const again = page.waitForResponse((r) => r.url().endsWith('/v1/telemetry'));
    await page.locator('#send-now').click();
    expect((await again).status()).toBe(202);
    await cardIds(page);
  }, 90_000);

  it('still recommends after an offline reload (service worker + IndexedDB)', async () => {
    await page.goto(demo.url);
    await cardIds(page);
    await chromium.context.setOffline(true);
    try {
      await reload(page);
      const ids = await cardIds(page);
      expect(ids.length).toBe(8);
      await page.screenshot({ path: 'docs/screenshots/demo-recs.png' });
    } finally {
      await chromium.context.setOffline(false);
    }
  }, 90_000);

  it('"Forget me" wipes the history', async () => {
    await page.locator('#forget').click();
    await page.locator('#forget-status', { hasText: 'deleted' }).waitFor({ timeout: 20_000 });
    await reload(page);
    await cardIds(page);
    expect(await storedEvents(page)).toBe(0);
    expect(await page.locator('#consent').isChecked()).toBe(false);
  }, 90_000);

  it('sent no prompt, viewed title or identifier persisting across reloads (network audit)', () => {
    const own = new URL(demo.url).host;
    // blob: URLs are memory of the page, not requests (ONNX Runtime's glue, fetched via the gate).
    expect(sent.every((s) => s.url.startsWith('blob:') || new URL(s.url).host === own)).toBe(true);
    expect(sent.some((s) => s.url.endsWith('/v1/telemetry') && s.body.includes('"olh"'))).toBe(
      true,
    );
    const text = sent
      .map((s) => `${decodeURIComponent(s.url)}\n${s.body}`)
      .join('\n')
      .toLowerCase();
    expect(text).not.toContain(PROMPT.toLowerCase());
    expect(text).not.toContain('haunted castles');
    // The item page's own address names the item (the site serves that page, fetched by the tab
    // or by the service worker); no other request may.
    const itemPage = (s: { url: string }) =>
      new URL(s.url).pathname === '/' && new URL(s.url).searchParams.get('item') === LIKED.id;
    const notTheItemPage = sent.filter((s) => !itemPage(s));
    const rest = notTheItemPage
      .map((s) => `${decodeURIComponent(s.url)}\n${s.body}`)
      .join('\n')
      .toLowerCase();
    expect(rest).not.toContain(LIKED.title.toLowerCase());
    expect(rest).not.toContain(LIKED.id);
    // Tokens of 8+ characters in query values or bodies that recur in a later page load.
    const configKeys = new Set(['server', 'models', 'wasm', 'item']);
    const tokens = (s: { url: string; body: string }) => {
      const values = [...new URL(s.url).searchParams]
        .filter(([k]) => !configKeys.has(k))
        .map(([, v]) => v);
      return `${values.join(' ')} ${s.body}`.match(/[A-Za-z0-9_-]{8,}/g) ?? [];
    };
    const bySession = new Map<number, Set<string>>();
    for (const s of sent) {
      const set = bySession.get(s.session) ?? new Set<string>();
      for (const t of tokens(s)) set.add(t);
      bySession.set(s.session, set);
    }
    const recurring = [...(bySession.get(0) ?? [])].filter((t) =>
      [...bySession].some(([k, set]) => k > 0 && set.has(t)),
    );
    const protocolWords = /^(telemetry|mechanism|reports|epsilon|modelVersion|encoding)$/;
    expect(recurring.filter((t) => !protocolWords.test(t))).toEqual([]);
  });

  it('logged no console errors', async () => {
    expect(await chromium.context.cookies()).toEqual([]);
    expect(chromium.consoleErrors).toEqual([]);
  }, 90_000);

  it('replaces cached models with a verified new set when the model manifest changes', async () => {
    // A copy of the build on a second origin: its own service worker, and dist/ stays untouched.
    const copy = join(dbDir, 'dist-copy');
    cpSync('dist', copy, { recursive: true });
    const second = await startDemo({
      port: 0,
      host: '127.0.0.1',
      db: join(dbDir, 'second.db'),
      dist: copy,
    });
    const tab = await chromium.newPage();
    try {
      const manifestPath = join(copy, 'models/hearth-encoder-v1/manifest.json');
      const original = readFileSync(manifestPath, 'utf8');
      const cachedManifest = () =>
        tab.evaluate(async () => {
          const r = await caches.match('/models/hearth-encoder-v1/manifest.json', {
            ignoreVary: true,
          });
          return r ? r.text() : null;
        });
      await tab.goto(second.url);
      await tab.waitForFunction(() => navigator.serviceWorker.controller !== null, null, {
        timeout: 60_000,
      });
      expect(await cachedManifest()).toBe(original);
      // Same files, new manifest text: the next navigation re-verifies every file into staging,
      // then swaps the whole set in.
      writeFileSync(manifestPath, `${original}\n`);
      await tab.goto(second.url);
      let now = await cachedManifest();
      for (let i = 0; i < 80 && now === original; i++) {
        await new Promise((r) => setTimeout(r, 250));
        now = await cachedManifest();
      }
      expect(now).toBe(`${original}\n`);
    } finally {
      await tab.close();
      await second.close();
    }
  }, 120_000);
});
