/**
 * The privacy promises on real requests, with the REAL engine worker in two tabs of one Chromium
 * profile (dev server), and the thin server mounted on the same origin's /v1 (so a request with
 * default credentials WOULD carry the site's cookie):
 * - every request the worker makes for Hearth's files (catalog, models/, ort/) is a ledger row,
 *   with consent off, and carries no cookie (checked by the server);
 * - consent off in one tab stops the other tab's next send; "Forget me" in one tab stops every
 *   tab until consent is given again;
 * - two tabs each spending ε = 6 at once under the daily cap of 8: exactly one release leaves.
 */
import type { ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import type { HearthApi } from '../../src/widget/hearth.ts';
import {
  type BrowserHarness,
  type Page,
  startBrowserHarness,
} from '../../support/browser-harness.ts';

const PAGE = '/test/browser/pages/privacy-tabs.html';
const CATALOG = '/test/browser/pages/privacy-catalog.json';
const COOKIE = 'visitor-secret-cookie';

/** One request as the server saw it. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly cookie: string | undefined;
  readonly referer: string | undefined;
}

const seen: Seen[] = [];

/** The real thin server on the dev server's /v1, and a log of every request the origin gets. */
function thinServerOnThisOrigin(): Plugin {
  const app = createApp({ storage: openServerStorage(':memory:') });
  const listener = getRequestListener(app.fetch);
  return {
    name: 'hearth-test-thin-server',
    configureServer(server) {
      server.middlewares.use((req, res: ServerResponse, next) => {
        const path = req.url ?? '';
        const { cookie, referer } = req.headers;
        seen.push({ method: req.method ?? 'GET', path, cookie, referer });
        if (path.startsWith('/v1/')) void listener(req, res);
        else next();
      });
    },
  };
}

let harness: BrowserHarness;

type Tab = Page & { hearth<T>(fn: (hearth: HearthApi) => Promise<T>): Promise<T> };

/** Opens the test page in a new tab and starts Hearth with the catalog and the thin server. */
async function openTab(): Promise<Tab> {
  const page = await harness.newPage();
  await page.goto(`${harness.baseUrl}${PAGE}`);
  await page.waitForFunction(() => 'startHearth' in window);
  await page.evaluate(
    ({ catalog, server }) =>
      (window as unknown as { startHearth(c: string, s: string): Promise<unknown> }).startHearth(
        catalog,
        server,
      ),
    { catalog: CATALOG, server: `${harness.baseUrl}/` },
  );
  const hearth = <T>(fn: (hearth: HearthApi) => Promise<T>): Promise<T> =>
    page.evaluate(
      // The function travels as source text and runs against the page's `window.Hearth`.
      (source) =>
        new Function('hearth', `return (${source})(hearth);`)(
          (window as unknown as { Hearth: HearthApi }).Hearth,
        ) as Promise<T>,
      fn.toString(),
    );
  return Object.assign(page, { hearth });
}

const telemetryPosts = () =>
  seen.filter((s) => s.method === 'POST' && s.path.startsWith('/v1/telemetry'));

/** Flushes queued telemetry; resolves to the count sent or the refusal's message. */
const flush = (tab: Tab) =>
  tab.hearth((h) => h.flush().then(String, (e: unknown) => (e as Error).message));

const track = (tab: Tab, ids: readonly string[]) =>
  tab.evaluate(async (list) => {
    const h = (window as unknown as { Hearth: HearthApi }).Hearth;
    for (const itemId of list) await h.track({ kind: 'view', itemId });
  }, ids);

beforeAll(async () => {
  harness = await startBrowserHarness({ plugins: [thinServerOnThisOrigin()] });
  // The site's own session cookie for this origin: no Hearth request may carry it.
  await harness.context.addCookies([
    { name: 'site_session', value: COOKIE, url: harness.baseUrl, sameSite: 'Lax' },
  ]);
});
afterAll(async () => {
  await harness?.close();
});

describe('privacy with the real engine worker in two tabs', () => {
  let tabA: Tab;
  let tabB: Tab;

  it('records every request for Hearth files in the ledger, with consent off, no cookie and no referrer', async () => {
    // Arrange: the page has a session cookie for this origin; consent is off (the default).
    const requests: string[] = [];
    harness.context.on('request', (r) => requests.push(r.url()));
    tabA = await openTab();
    // Act: the first recommendations start ONNX Runtime for the ranker too.
    await tabA.hearth((h) => h.recommend({ limit: 3 }));
    // ONNX Runtime starts for the ranker after the first recommendations: wait until no request
    // has gone out for a second (a wait for quiet, not a timing assertion).
    for (let seenCount = -1; seenCount !== requests.length; ) {
      seenCount = requests.length;
      await tabA.waitForTimeout(1000);
    }
    const ledger = await tabA.hearth((h) => h.ledger());
    // Assert
    const hearthFiles = requests.filter((url) => {
      const { origin, pathname } = new URL(url);
      return (
        origin === harness.baseUrl &&
        (pathname.startsWith('/models/') || pathname.startsWith('/ort/') || pathname === CATALOG)
      );
    });
    // Each request has a row of its own: as many rows as requests for every URL.
    const count = (urls: readonly (string | undefined)[]) => {
      const counts = new Map<string, number>();
      for (const url of urls) if (url !== undefined) counts.set(url, (counts.get(url) ?? 0) + 1);
      return counts;
    };
    const rows = count(ledger.rows.map((r) => r.url));
    const unrecorded = [...count(hearthFiles)].filter(([url, n]) => (rows.get(url) ?? 0) < n);
    expect(unrecorded).toEqual([]);
    expect(hearthFiles.length).toBeGreaterThanOrEqual(10);
    expect(hearthFiles.some((url) => url.endsWith('/ort/ort-wasm-simd-threaded.wasm'))).toBe(true);
    expect(hearthFiles.some((url) => url.endsWith('/ort/ort-wasm-simd-threaded.mjs'))).toBe(true);
    expect(ledger.consent).toBe(false);
    expect(ledger.rows.every((r) => r.kind === 'download' && r.epsilon === 0)).toBe(true);
    // The browser sends the site's cookie by default (the page itself), yet no Hearth request
    // carried it to the server.
    expect(seen.some((s) => s.path.startsWith(PAGE) && s.cookie?.includes(COOKIE))).toBe(true);
    const hearthSeen = seen.filter(
      (s) =>
        s.path.startsWith('/models/') ||
        s.path.startsWith('/ort/') ||
        s.path.startsWith('/v1/') ||
        s.path.startsWith(CATALOG),
    );
    expect(hearthSeen.length).toBeGreaterThanOrEqual(6);
    expect(hearthSeen.filter((s) => s.cookie?.includes(COOKIE))).toEqual([]);
    expect(hearthSeen.filter((s) => s.referer !== undefined)).toEqual([]);
    // Nothing reached the thin server: consent is off.
    expect(seen.filter((s) => s.path.startsWith('/v1/'))).toEqual([]);
  }, 120_000);

  it('two tabs each spending ε = 6 at once under the daily cap of 8: exactly one release leaves', async () => {
    // Arrange: a second tab; consent on (each tab sets it, as a visitor would), three reports at
    // ε = 2 queued in each.
    tabB = await openTab();
    await tabA.hearth((h) => h.setConsent(true));
    await tabB.hearth((h) => h.setConsent(true));
    await track(tabA, ['h1', 'h2', 's1']);
    await track(tabB, ['s2', 'c1', 'c2']);
    const before = telemetryPosts().length;
    // Act
    const results = await Promise.all([flush(tabA), flush(tabB)]);
    // Assert
    expect(telemetryPosts().length - before).toBe(1);
    expect(results.filter((r) => r.includes('privacy budget cap reached'))).toHaveLength(1);
    const ledger = await tabB.hearth((h) => h.ledger());
    expect(ledger.dailyEpsilon).toBe(6);
    expect(ledger.rows.filter((r) => r.kind === 'telemetry')).toHaveLength(1);
  }, 90_000);

  it('consent off in tab A: tab B’s next send is refused and nothing reaches the server', async () => {
    // Arrange: tab B turns consent on and queues one report (ε = 2: within the day's cap).
    await tabB.hearth((h) => h.setConsent(true));
    await track(tabB, ['h1']);
    // Act
    await tabA.hearth((h) => h.setConsent(false));
    const sent = await flush(tabB);
    // Assert
    expect(sent).toBe('0');
    expect(telemetryPosts()).toHaveLength(1); // the one release of the test before
    expect((await tabB.hearth((h) => h.ledger())).consent).toBe(false);
  }, 90_000);

  it('"Forget me" in tab A: tab B sends nothing until consent is given again', async () => {
    // Arrange
    await tabB.hearth((h) => h.setConsent(true));
    await track(tabB, ['h1', 's2']);
    // Act / Assert: what tab B had queued does not leave
    await tabA.hearth((h) => h.forget());
    expect(await flush(tabB)).toBe('0');
    // Act / Assert: nor does anything tab B does next
    await track(tabB, ['c1']);
    const afterTrack = await flush(tabB);
    const trained = await tabB.hearth((h) => h.train());
    expect(afterTrack).toBe('0');
    expect(trained).toEqual({ kind: 'skipped', reason: 'sending is off (no consent)' });
    expect(telemetryPosts()).toHaveLength(1); // the one release of the cap test
    expect(harness.consoleErrors).toEqual([]);
    expect((await tabB.hearth((h) => h.ledger())).consent).toBe(false);
  }, 90_000);
});
