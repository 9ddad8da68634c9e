/**
 * End to end against the BUILT demo (`vite build` → dist/, served by `npm start`'s `startDemo`
 * with the thin server's /v1 API as the DAP leader, and the DAP helper on its own port) in
 * headless Chromium: the real engine worker (catalog sync, encoder, ONNX ranker, IndexedDB), the
 * service worker, consent on with secure-aggregation reports sent to the two aggregators (nothing
 * without consent), a network audit over the whole session, and a two-visitor audit: with consent
 * off, visitors with different histories and prompts make the same set of requests.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemo } from '../../src/cli/start.ts';
import { isHearthCacheName } from '../../src/store/caches.ts';
import { type ChromiumSession, type Page, startChromium } from '../../support/browser-harness.ts';
import { ensureDemoBuilt } from '../../support/demo-build.ts';
import { docScreenshot } from '../../support/screenshots.ts';

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

/** Types a prompt into the widget and resolves to the ids of the recommendations it renders. */
async function typePrompt(p: Page, prompt: string): Promise<string[]> {
  const rendered = p.evaluate(
    () =>
      new Promise<string[]>((done) =>
        document.addEventListener(
          'hearth:recommendations',
          (e) => done((e as CustomEvent<{ items: string[] }>).detail.items),
          { once: true },
        ),
      ),
  );
  await p.locator('hearth-recs input[type=search]').fill(prompt);
  await p.locator('hearth-recs button[type=submit]').click();
  return rendered;
}

/** Every Cache Storage entry of the page's origin, as `cache name → URL`. */
async function cachedEntries(p: Page): Promise<{ name: string; url: string }[]> {
  return p.evaluate(async () => {
    const out: { name: string; url: string }[] = [];
    for (const name of await caches.keys())
      for (const request of await (await caches.open(name)).keys())
        out.push({ name, url: request.url });
    return out;
  });
}

/** A DAP request: to the leader's or the helper's DAP endpoints. */
function isDap(url: string): boolean {
  return url.startsWith(`${demo.url}dap/`) || url.startsWith(demo.helperUrl);
}

async function reload(p: Page): Promise<void> {
  session += 1;
  await p.reload();
}

beforeAll(async () => {
  await ensureDemoBuilt();
  dbDir = await mkdtemp(join(tmpdir(), 'hearth-e2e-'));
  demo = await startDemo({ port: 0, host: '127.0.0.1', db: join(dbDir, 'server.db') });
  chromium = await startChromium();
  chromium.context.on('request', (request) => {
    // blob: and data: URLs are memory of the page, not requests (cached images shown through
    // object URLs, ONNX Runtime's glue fetched via the gate): they never leave the device.
    if (!/^https?:/.test(request.url())) return;
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
    const after = horror(await typePrompt(page, PROMPT));
    expect(after).toBeGreaterThanOrEqual(4);
    expect(after).toBeGreaterThan(before);
  }, 90_000);

  it('sends no secure-aggregation report without consent', async () => {
    await page.goto(`${demo.url}?item=${VIEWED_FIRST.id}`);
    await page.locator('#item-title', { hasText: VIEWED_FIRST.title }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#consent').isChecked()).toBe(false);
    await page.locator('#train-now').click();
    await page
      .locator('#train-status', { hasText: 'Nothing sent: sending is off (no consent).' })
      .waitFor();
    expect(sent.filter((s) => isDap(s.url))).toEqual([]);
    await page
      .locator('#dap-reports tr', { hasText: 'no secure-aggregation report yet' })
      .waitFor();
  }, 90_000);

  it('keeps a like across a reload (IndexedDB) and, with consent, sends one DAP report per task to the leader (201) with its ledger row and ε', async () => {
    await page.goto(`${demo.url}?item=${LIKED.id}`);
    await page.locator('#item-title', { hasText: LIKED.title }).waitFor({ timeout: 60_000 });
    await page.locator('#consent').check();
    await page.locator('#item-like').click();
    await expect.poll(() => storedEvents(page), { timeout: 20_000 }).toBe(3); // 2 views + like
    // With a helper configured no LDP telemetry is queued: nothing to send.
    await page.locator('#send-now').click();
    // Secure aggregation: one report for each of the demo's tasks (popularity, ranker update).
    const uploads = page.waitForResponse((r) => /\/dap\/tasks\/[\w-]{43}\/reports$/.test(r.url()));
    await page.locator('#train-now').click();
    expect((await uploads).status()).toBe(201);
    await page
      .locator('#train-status', { hasText: 'Sent a secure-aggregation report for item popularity' })
      .waitFor({ timeout: 60_000 });
    await page
      .locator('#train-status', { hasText: 'Sent a secure-aggregation report for ranker update' })
      .waitFor();
    await page
      .locator('#requests tr', { hasText: "DAP report for task 'item popularity'" })
      .first()
      .waitFor();
    const popularity = page.locator('#dap-reports tr', { hasText: 'item popularity' });
    await popularity.waitFor();
    expect(await popularity.textContent()).toMatch(/ε 1\.00/);
    await page.locator('#dap-reports tr', { hasText: 'ranker update' }).waitFor();
    expect(await page.locator('#protection-note').textContent()).toContain(
      'as long as one of the two aggregators follows the protocol',
    );
    const puts = sent.filter((s) => isDap(s.url) && s.url.endsWith('/reports'));
    expect(puts).toHaveLength(2);
    // Each aggregator's key came from its own origin: the helper's from the helper.
    expect(sent.some((s) => s.url.startsWith(`${demo.helperUrl}hpke_config?task_id=`))).toBe(true);
    expect(sent.some((s) => s.url.startsWith(`${demo.url}dap/hpke_config?task_id=`))).toBe(true);
    expect(sent.filter((s) => /\/v1\/(telemetry|updates)$/.test(new URL(s.url).pathname))).toEqual(
      [],
    );
    await docScreenshot(page.locator('#privacy'), 'privacy-panel.png');
    await docScreenshot(page, 'demo-item.png');
    await reload(page);
    await page.locator('#item-title', { hasText: LIKED.title }).waitFor({ timeout: 60_000 });
    // two views and a like from before the reload, and this page load's view
    await expect.poll(() => storedEvents(page), { timeout: 20_000 }).toBe(4);
    await expect.poll(() => page.locator('#consent').isChecked(), { timeout: 20_000 }).toBe(true);
    // One report per task and window: this page load sends no second one.
    await page.locator('#train-now').click();
    await page
      .locator('#train-status', { hasText: 'this device already reported in this window' })
      .waitFor({ timeout: 60_000 });
    expect(sent.filter((s) => isDap(s.url) && s.url.endsWith('/reports'))).toHaveLength(2);
    await cardIds(page);
  }, 120_000);

  it('still recommends after an offline reload (service worker + IndexedDB)', async () => {
    await page.goto(demo.url);
    await cardIds(page);
    await chromium.context.setOffline(true);
    try {
      await reload(page);
      const ids = await cardIds(page);
      expect(ids.length).toBe(8);
      await docScreenshot(page, 'demo-recs.png');
    } finally {
      await chromium.context.setOffline(false);
    }
  }, 90_000);

  it("caches only Hearth's own files in the service worker: no ?item= page, no other page", async () => {
    const entries = await cachedEntries(page);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => new URL(e.url).search !== '')).toEqual([]);
    const own =
      /^\/(|index\.html|demo-catalog\.json|manifest\.webmanifest|icon\.svg)$|^\/(assets|hearth|ort|models)\//;
    expect(entries.filter((e) => !own.test(new URL(e.url).pathname))).toEqual([]);
    expect(entries.every((e) => isHearthCacheName(e.name))).toBe(true);
  }, 30_000);

  it('"Forget me" wipes the history', async () => {
    await page.locator('#forget').click();
    await page.locator('#forget-status', { hasText: 'deleted' }).waitFor({ timeout: 20_000 });
    expect(await cachedEntries(page)).toEqual([]);
    await reload(page);
    await cardIds(page);
    expect(await storedEvents(page)).toBe(0);
    expect(await page.locator('#consent').isChecked()).toBe(false);
  }, 90_000);

  it('sent no prompt, viewed title or identifier persisting across reloads (network audit)', () => {
    const own = new URL(demo.url).host;
    // Only the site's own origin, and the helper for its HPKE key (a GET naming the public task).
    const helper = sent.filter((s) => new URL(s.url).host !== own);
    expect(helper.length).toBeGreaterThan(0);
    expect(
      helper.every(
        (s) => s.url.startsWith(`${demo.helperUrl}hpke_config?task_id=`) && s.body === '',
      ),
    ).toBe(true);
    expect(sent.some((s) => isDap(s.url) && s.url.endsWith('/reports'))).toBe(true);
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
    // task_id: the public id of a task every visitor reads from the task list; name: the public
    // model every consenting device downloads (`/v1/model?name=cooccurrence.served`).
    const configKeys = new Set(['server', 'helper', 'models', 'wasm', 'item', 'task_id', 'name']);
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

/** One visitor's session on a fresh profile: the pages it opens and the prompt it types. */
interface Visitor {
  readonly items: readonly { id: string; title: string }[];
  readonly prompt: string;
}

/** The requests of one visitor: all of them, and those its pages and workers made. */
interface VisitorRequests {
  readonly all: Set<string>;
  /** Without the service worker's own requests, whose URLs (precache lists) hide what pages load. */
  readonly fromPages: Set<string>;
}

/**
 * Runs a visitor with consent off on a fresh Chromium profile and returns the sets of requests
 * (method and URL) its browser made, leaving out the documents it navigated to (the site's own
 * pages, which name the item by design) and non-network URLs (blob:, data:).
 */
async function requestsOf(visitor: Visitor): Promise<VisitorRequests> {
  const browser = await startChromium();
  const seen: { request: string; bySw: boolean }[] = [];
  const navigated = new Set<string>();
  browser.context.on('request', (r) => {
    if (/^https?:/.test(r.url()))
      seen.push({ request: `${r.method()} ${r.url()}`, bySw: r.serviceWorker() !== null });
  });
  try {
    const tab = await browser.newPage();
    const visit = async (url: string) => {
      navigated.add(url);
      await tab.goto(url);
    };
    await visit(demo.url);
    await cardIds(tab);
    await tab.evaluate(() => navigator.serviceWorker.ready);
    for (const item of visitor.items) {
      await visit(`${demo.url}?item=${item.id}`);
      await tab.locator('#item-title', { hasText: item.title }).waitFor({ timeout: 60_000 });
      await cardIds(tab);
    }
    expect(await tab.locator('#consent').isChecked()).toBe(false);
    await typePrompt(tab, visitor.prompt);
    // Let loads started by this page (e.g. ONNX Runtime after the first results) finish.
    let count = -1;
    for (let i = 0; i < 40 && count !== seen.length; i++) {
      count = seen.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    const pages = new Set([...navigated].map((url) => `GET ${url}`));
    const kept = seen.filter((s) => !pages.has(s.request));
    return {
      all: new Set(kept.map((s) => s.request)),
      fromPages: new Set(kept.filter((s) => !s.bySw).map((s) => s.request)),
    };
  } finally {
    await browser.close();
  }
}

describe('two visitors with consent off', () => {
  it('make the same set of requests whatever their history and prompt', async () => {
    // Arrange
    const horror: Visitor = {
      items: [VIEWED_FIRST, LIKED],
      prompt: 'haunted castles with ghosts and vampires',
    };
    const space: Visitor = {
      items: [
        { id: 'pd-the-war-of-the-worlds', title: 'The War of the Worlds' },
        { id: 'pd-a-princess-of-mars', title: 'A Princess of Mars' },
      ],
      prompt: 'rockets to the moon and martian cities',
    };
    // Act
    const first = await requestsOf(horror);
    const second = await requestsOf(space);
    // Assert
    expect([...first.fromPages].sort()).toEqual([...second.fromPages].sort());
    expect([...first.all].sort()).toEqual([...second.all].sort());
    expect([...first.fromPages].some((r) => r.includes('/covers/'))).toBe(true);
    expect([...first.all].some((r) => r.includes('/v1/') || r.includes('/dap/'))).toBe(false);
  }, 240_000);
});
