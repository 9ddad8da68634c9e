/**
 * A site owner's first hour, with the BUILT widget (`npm run build`) and the real engine worker
 * in headless Chromium, on a 20-item gear catalog (not books):
 * - the build served under a sub-path (/vendor/) works as it is; `models` points elsewhere;
 * - no request for an optional model that was not deployed, no console error;
 * - the catalog report reaches the page (`hearth:catalog`, one console summary);
 * - a broken deployment shows visitors a neutral line, the owner the precise message;
 * - the site's wording (`strings`) reaches the prompt box and the explanations;
 * - explanations are true and a first visit is varied;
 * - `npm start` keeps the thin server's catalog in step with the demo catalog file, and "Forget
 *   me" and the privacy panel behave.
 */
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/start.ts';
import { type ChromiumSession, type Page, startChromium } from '../../support/browser-harness.ts';
import { ensureDemoBuilt } from '../../support/demo-build.ts';
import { GEAR_CATALOG, GEAR_CATEGORIES, GEAR_WITH_PROBLEMS } from '../../support/gear-catalog.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** A site's page that embeds the widget from `script` with the given element attributes. */
function page(script: string, attributes: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Trail Outfitters</title></head><body><h1>Trail Outfitters</h1>
<hearth-recs ${attributes}></hearth-recs>
<script>
  window.hearthEvents = [];
  for (const name of ['hearth:ready', 'hearth:recommendations', 'hearth:catalog', 'hearth:error'])
    document.addEventListener(name, (e) => window.hearthEvents.push({ name, detail: e.detail }));
</script>
<script type="module">
  import { Hearth } from '${script}';
  window.Hearth = Hearth;
</script></body></html>`;
}

/**
 * A plain static site (no isolation headers, nothing Hearth-specific): the build under /vendor/,
 * the same build without models/ under /split/ with the models under /static/models/, and the
 * shop's pages and catalog under /shop/.
 */
function siteFiles(dist: string): (path: string) => { body: Buffer | string; type: string } | null {
  const pages: Record<string, string> = {
    '/shop/index.html': page(
      '/vendor/hearth/hearth-widget.js',
      `catalog="/shop/gear.json" limit="8" prompt="on" strings='{"promptPlaceholder": "e.g. a warm tent for two", "starter": "Start here: {category}"}'`,
    ),
    '/shop/split.html': page(
      '/split/hearth/hearth-widget.js',
      'catalog="/shop/gear.json" limit="8" prompt="on" models="/static/models/"',
    ),
    '/shop/broken.html': page(
      '/vendor/hearth/hearth-widget.js',
      'catalog="/shop/gear.json" limit="8" models="/nowhere/models/"',
    ),
    '/shop/gear.json': JSON.stringify(GEAR_WITH_PROBLEMS),
  };
  return (path) => {
    const own = pages[path];
    if (own !== undefined) return { body: own, type: TYPES[extname(path)] ?? 'text/plain' };
    const mounts: [string, string][] = [
      ['/vendor/', dist],
      ['/static/models/', join(dist, 'models')],
    ];
    if (!path.startsWith('/split/models/')) mounts.push(['/split/', dist]);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) return null;
      return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
    }
    return null;
  };
}

let site: Server;
let siteUrl: string;
let dbDir: string;

beforeAll(async () => {
  await ensureDemoBuilt();
  dbDir = await mkdtemp(join(tmpdir(), 'hearth-site-owner-'));
  const files = siteFiles(join(process.cwd(), 'dist'));
  site = createServer((req, res) => {
    const found = files(new URL(req.url ?? '/', 'http://x').pathname);
    if (found === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': found.type }).end(found.body);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => site?.close(resolve));
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
});

/** A visit on a fresh profile: the page, its requests, console warnings and errors. */
interface Visit {
  readonly browser: ChromiumSession;
  readonly tab: Page;
  readonly requests: string[];
  readonly warnings: string[];
}

async function visit(url: string): Promise<Visit> {
  const browser = await startChromium();
  const requests: string[] = [];
  const warnings: string[] = [];
  browser.context.on('request', (r) => {
    if (/^https?:/.test(r.url())) requests.push(new URL(r.url()).pathname);
  });
  const tab = await browser.newPage();
  tab.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await tab.goto(url);
  return { browser, tab, requests, warnings };
}

/** The ids of the rendered cards, once there are some. */
async function cardIds(tab: Page): Promise<string[]> {
  await tab.locator('hearth-recs li[part="card"]').first().waitFor({ timeout: 60_000 });
  return tab
    .locator('hearth-recs li[part="card"]')
    .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-item-id') ?? ''));
}

type Events = { name: string; detail: unknown }[];
const events = (tab: Page) =>
  tab.evaluate(() => (window as unknown as { hearthEvents: Events }).hearthEvents);

const category = (id: string) => GEAR_CATALOG.find((g) => g.id === id)?.category;

describe("the built widget on a site owner's page, under /vendor/", () => {
  let shop: Visit;

  beforeAll(async () => {
    shop = await visit(`${siteUrl}/shop/index.html`);
  }, 90_000);
  afterAll(async () => {
    await shop?.browser.close();
  });

  it('loads its worker, models and runtime from the sub-path, asks for no undeployed model, logs no error', async () => {
    // Act
    const ids = await cardIds(shop.tab);
    // Assert
    expect(ids).toHaveLength(8);
    const hearthFiles = shop.requests.filter((p) => !p.startsWith('/shop/'));
    expect(hearthFiles.length).toBeGreaterThan(0);
    expect(hearthFiles.filter((p) => !p.startsWith('/vendor/'))).toEqual([]);
    expect(shop.requests).toContain('/vendor/models/index.json');
    // One engine: no chunk of the worker loads its entry a second time (a second copy would
    // expose a second engine and record every event twice).
    expect(shop.requests.filter((p) => p.includes('engine.worker'))).toHaveLength(1);
    expect(shop.requests.filter((p) => p.includes('/collab/'))).toEqual([]);
    expect(shop.browser.consoleErrors).toEqual([]);
  }, 90_000);

  it('reports the catalog: hearth:catalog with counts and reasons, one console summary', async () => {
    // Arrange
    await cardIds(shop.tab);
    // Act
    const reports = (await events(shop.tab)).filter((e) => e.name === 'hearth:catalog');
    // Assert
    expect(reports).toHaveLength(1);
    expect(reports[0]?.detail).toMatchObject({
      url: `${siteUrl}/shop/gear.json`,
      report: { read: 22, accepted: 20, rejected: 1, duplicates: 1, warnings: 0 },
    });
    const detail = reports[0]?.detail as
      | { report: { problems: { message: string }[] } }
      | undefined;
    const problems = detail?.report.problems ?? [];
    expect(problems.map((p) => p.message)).toEqual([
      'item 21 (id "gift-card"): title: empty (required) — item skipped',
      'item 9 (id "boot-2"): duplicate id, item 20 has it too — the later one is kept, this one skipped',
    ]);
    const summaries = shop.warnings.filter((w) => w.startsWith('Hearth catalog'));
    expect(summaries).toEqual([
      `Hearth catalog ${siteUrl}/shop/gear.json: 20 of 22 items loaded: 1 rejected, 1 duplicate id.\n  error: ${problems[0]?.message}\n  error: ${problems[1]?.message}`,
    ]);
  }, 60_000);

  it("starts a first visit varied, every card saying why in the site's words", async () => {
    // Act
    const ids = await cardIds(shop.tab);
    const reasons = await shop.tab
      .locator('hearth-recs [part~=reason]')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    // Assert
    const perCategory = new Map<string, number>();
    for (const id of ids) perCategory.set(category(id)!, (perCategory.get(category(id)!) ?? 0) + 1);
    expect([...perCategory.keys()].sort()).toEqual([...GEAR_CATEGORIES].sort());
    expect(Math.max(...perCategory.values())).toBeLessThanOrEqual(2);
    expect(reasons).toEqual(ids.map((id) => `Start here: ${category(id)}`));
    expect(
      await shop.tab.locator('hearth-recs input[type=search]').getAttribute('placeholder'),
    ).toBe('e.g. a warm tent for two');
  }, 60_000);

  it('explains only with what the visitor did and what is similar enough', async () => {
    // Arrange: the visitor likes the crampons.
    await cardIds(shop.tab);
    // Act
    const recs = await shop.tab.evaluate(async () => {
      const hearth = (
        window as unknown as {
          Hearth: {
            track(e: { kind: string; itemId: string }): Promise<void>;
            recommend(r: {
              limit: number;
            }): Promise<{ item: { id: string }; explanation: string }[]>;
          };
        }
      ).Hearth;
      await hearth.track({ kind: 'like', itemId: 'climb-1' });
      return (await hearth.recommend({ limit: 19 })).map((r) => [r.item.id, r.explanation]);
    });
    // Assert
    const explanations = new Map(recs as [string, string][]);
    expect([...explanations.values()]).toContain('Because you liked Steel Crampons');
    expect([...explanations.values()].join('\n')).not.toContain(
      'Because you viewed Steel Crampons',
    );
    expect(explanations.get('sleep-2')).toBeDefined();
    expect(explanations.get('sleep-2')).not.toContain('Steel Crampons');
  }, 60_000);
});

describe('a build whose models live elsewhere', () => {
  it("loads the models from the element's models attribute, with the default wording", async () => {
    // Arrange
    const split = await visit(`${siteUrl}/shop/split.html`);
    try {
      // Act
      const ids = await cardIds(split.tab);
      // Assert
      expect(ids).toHaveLength(8);
      expect(split.requests).toContain('/static/models/hearth-encoder-v1/manifest.json');
      expect(split.requests.filter((p) => p.startsWith('/split/models/'))).toEqual([]);
      expect(split.browser.consoleErrors).toEqual([]);
      expect(
        await split.tab.locator('hearth-recs input[type=search]').getAttribute('placeholder'),
      ).toBe('Describe what you are looking for');
    } finally {
      await split.browser.close();
    }
  }, 90_000);
});

describe('a broken deployment', () => {
  it('shows visitors a neutral line; the site owner gets the precise message in the console and hearth:error', async () => {
    // Arrange
    const broken = await visit(`${siteUrl}/shop/broken.html`);
    try {
      // Act
      await broken.tab.locator('hearth-recs [part~=error]').waitFor({ timeout: 60_000 });
      const shown = await broken.tab
        .locator('hearth-recs')
        .evaluate((el) => el.shadowRoot?.textContent ?? '');
      const error = (await events(broken.tab)).find((e) => e.name === 'hearth:error');
      // Assert
      expect(shown).toContain('Recommendations are unavailable right now.');
      expect(shown).not.toMatch(/model|npm|nowhere|Encoder/i);
      const message = (error?.detail as { message: string } | undefined)?.message ?? '';
      expect(message).toContain(`${siteUrl}/nowhere/models/`);
      expect(message).toContain("the element's models attribute");
      expect(message).not.toMatch(/\bnpm\b|--model/);
      const logged = broken.browser.consoleErrors.filter((e) => e.startsWith('<hearth-recs>'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(message);
    } finally {
      await broken.browser.close();
    }
  }, 90_000);
});

describe('npm start with a replaced demo catalog', () => {
  it('serves the new catalog at /v1/catalog, and the widget on it shows the new items', async () => {
    // Arrange: the first start serves the 300 books; the site owner then replaces the file.
    const copy = join(dbDir, 'dist');
    cpSync('dist', copy, { recursive: true });
    const db = join(dbDir, 'server.db');
    const first = await startDemo({ port: 0, host: '127.0.0.1', db, dist: copy });
    const before = (await (await fetch(`${first.url}v1/catalog`)).json()) as { items: unknown[] };
    await first.close();
    writeFileSync(join(copy, 'demo-catalog.json'), JSON.stringify(GEAR_CATALOG));
    writeFileSync(
      join(copy, 'server-catalog.html'),
      page('/hearth/hearth-widget.js', 'catalog="/v1/catalog" limit="8"'),
    );
    const second = await startDemo({ port: 0, host: '127.0.0.1', db, dist: copy });
    const browser = await startChromium();
    try {
      // Act
      const tab = await browser.newPage();
      await tab.goto(`${second.url}server-catalog.html`);
      const ids = await cardIds(tab);
      // Assert
      expect(before.items).toHaveLength(300);
      expect(ids).toHaveLength(8);
      expect(ids.every((id) => category(id) !== undefined)).toBe(true);
    } finally {
      await browser.close();
      await second.close();
    }
  }, 120_000);
});

describe('the demo\'s privacy panel and "Forget me"', () => {
  it('says why nothing was sent, keeps "When" on one line, and forgets without a database error', async () => {
    // Arrange
    const demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      db: join(dbDir, 'panel.db'),
    });
    const browser = await startChromium();
    const warnings: string[] = [];
    try {
      const tab = await browser.newPage();
      tab.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
      await tab.goto(demo.url);
      await cardIds(tab);
      // Act
      await tab.locator('#send-now').click();
      const sendStatus = await tab.locator('#send-status', { hasText: 'Nothing' }).textContent();
      const whenLines = await tab.locator('th', { hasText: 'When' }).evaluate((th) => {
        const range = document.createRange();
        range.selectNodeContents(th);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      });
      await tab.locator('hearth-recs [part~=like]').first().click();
      await tab.locator('#storage tr', { hasText: /events\s*[1-9]/ }).waitFor({ timeout: 20_000 });
      await tab.locator('#forget').click();
      await tab.locator('#forget-status', { hasText: 'deleted' }).waitFor({ timeout: 20_000 });
      // The panel re-renders from the worker after "Forget me" (ledger, storage counts).
      await tab
        .locator('#storage tr', { hasText: /events\s*0 records/ })
        .waitFor({ timeout: 20_000 });
      // The next visit's catalog sync writes to the fresh database.
      await tab.reload();
      await cardIds(tab);
      // Assert
      expect(sendStatus).toBe('Nothing to send: sharing is off.');
      expect(whenLines).toBe(1);
      expect(warnings.filter((w) => /InvalidStateError|connection is closing/.test(w))).toEqual([]);
      expect(warnings).toEqual([]);
      expect(browser.consoleErrors).toEqual([]);
    } finally {
      await browser.close();
      await demo.close();
    }
  }, 120_000);
});
