/**
 * Side channels, closed, with the REAL engine worker (dev server, headless Chromium):
 * - cards render images only from the device's image cache: what the page loads never depends on
 *   what was recommended (no image request while showing or changing recommendations);
 * - a hostile catalog server that tags each visitor through its ETag and version gets nothing of
 *   them back on the next load;
 * - `Hearth.forget()` deletes Hearth's Cache Storage (and none of the site's own caches).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHarness,
  type Page,
  startBrowserHarness,
} from '../../support/browser-harness.ts';

/** Covers are the demo's own files (public/covers); one item names a cover that does not exist. */
const CATALOG = [
  {
    id: 'h1',
    title: 'The Vampire Tapes',
    description: 'a vampire in a ruined castle',
    tags: ['horror'],
    image: '/covers/horror.svg',
  },
  {
    id: 'h2',
    title: 'Ghosts of the Abbey',
    description: 'ghost stories in a ruined abbey',
    tags: ['horror'],
    image: '/covers/horror.svg',
  },
  {
    id: 's1',
    title: 'Rockets to Mars',
    description: 'spaceships and aliens on a red planet',
    tags: ['space'],
    image: '/covers/science-fiction.svg',
  },
  {
    id: 's2',
    title: 'Robots Rising',
    description: 'robots and spaceships in the far future',
    tags: ['space'],
    image: '/covers/science.svg',
  },
  {
    id: 'c1',
    title: 'Bread and Butter',
    description: 'a cookbook of simple baking recipes',
    tags: ['cooking'],
    image: '/covers/no-such-cover.svg',
  },
  { id: 'c2', title: 'Soup Season', description: 'warming soup recipes', tags: ['cooking'] },
];

type HearthWindow = {
  startHearth(json: string): Promise<unknown>;
  startHearthAt(url: string): Promise<unknown>;
  Hearth: {
    forget(): Promise<void>;
    ledger(): Promise<{
      rows: { kind: string; url?: string; epsilon: number; summary: string }[];
    }>;
  };
  revoked: string[];
};

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => {
  await harness?.close();
});

async function openRealWidget(): Promise<Page> {
  const page = await harness.newPage();
  await page.goto(`${harness.baseUrl}/test/browser/pages/real-widget.html`);
  await page.waitForFunction(() => 'startHearth' in window);
  return page;
}

/** The `src` of every card image and the ids of cards showing a placeholder. */
function shownImages(page: Page) {
  return page.locator('hearth-recs').evaluate((el) => ({
    srcs: [...(el.shadowRoot?.querySelectorAll('li img') ?? [])].map(
      (img) => img.getAttribute('src') ?? '',
    ),
    placeholders: [...(el.shadowRoot?.querySelectorAll('[part~=placeholder]') ?? [])].map(
      (p) => p.closest('li')?.getAttribute('data-item-id') ?? '',
    ),
  }));
}

describe('images come from the device cache only', () => {
  it('renders every card image from a blob of the cache and never loads an image for a recommendation', async () => {
    // Arrange
    const page = await openRealWidget();
    const requests: { url: string; type: string }[] = [];
    page.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));
    await page.evaluate(() => {
      const w = window as unknown as HearthWindow;
      w.revoked = [];
      const revoke = URL.revokeObjectURL.bind(URL);
      URL.revokeObjectURL = (url: string) => {
        w.revoked.push(url);
        revoke(url);
      };
    });
    // Act
    await page.evaluate(
      (json) => (window as unknown as HearthWindow).startHearth(json),
      JSON.stringify(CATALOG),
    );
    await page.locator('hearth-recs li[part="card"]').first().waitFor({ timeout: 60_000 });
    const synced = requests.length;
    const first = await shownImages(page);
    const rendered = page.evaluate(
      () =>
        new Promise<void>((done) =>
          document.addEventListener('hearth:recommendations', () => done(), { once: true }),
        ),
    );
    await page.locator('hearth-recs input[type=search]').fill('baking bread recipes');
    await page.locator('hearth-recs button[type=submit]').click();
    await rendered;
    const second = await shownImages(page);
    const revoked = await page.evaluate(() => (window as unknown as HearthWindow).revoked);
    const ledger = await page.evaluate(() =>
      (window as unknown as HearthWindow).Hearth.ledger().then((l) => l.rows),
    );
    // Assert
    expect(first.srcs.length).toBeGreaterThan(0);
    expect([...first.srcs, ...second.srcs].every((src) => src.startsWith('blob:'))).toBe(true);
    expect(first.placeholders.concat(second.placeholders)).toContain('c1');
    // The covers were fetched once, by the worker at sync (a fetch, not an <img> load) ...
    const covers = requests.filter((r) => new URL(r.url).pathname.startsWith('/covers/'));
    expect(covers.every((r) => r.type === 'fetch')).toBe(true);
    expect(new Set(covers.map((r) => new URL(r.url).pathname))).toEqual(
      new Set(CATALOG.flatMap((i) => (i.image ? [i.image] : []))),
    );
    // ... and showing or changing recommendations loaded nothing at all.
    expect(requests.slice(synced).filter((r) => r.url.startsWith('http'))).toEqual([]);
    expect(first.srcs.every((src) => revoked.includes(src))).toBe(true);
    // Each image download is in the ledger (ε 0), like every other download.
    const imageRows = ledger.filter((r) => r.kind === 'download' && r.url?.includes('/covers/'));
    expect(imageRows.map((r) => new URL(r.url ?? '').pathname).sort()).toEqual(
      covers.map((r) => new URL(r.url).pathname).sort(),
    );
    expect(imageRows.every((r) => r.epsilon === 0 && r.summary.includes('catalog image'))).toBe(
      true,
    );
    await page.close();
  }, 90_000);
});

describe('a hostile catalog server', () => {
  let hostile: Server;
  let catalogUrl: string;
  const visits: { url: string; headers: IncomingHttpHeaders }[] = [];
  const items = CATALOG.map(({ image: _image, ...item }) => item);

  beforeAll(async () => {
    // Tags every answer with a fresh per-visitor value in the ETag, the version and a cookie.
    hostile = createServer((req, res) => {
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-expose-headers': 'etag',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors).end();
        return;
      }
      visits.push({ url: req.url ?? '', headers: req.headers });
      const n = visits.length;
      res
        .writeHead(200, {
          ...cors,
          'content-type': 'application/json',
          etag: `"visitor-etag-${n}"`,
          'set-cookie': `visitor=visitor-cookie-${n}`,
        })
        .end(JSON.stringify({ version: `visitor-version-${n}`, items }));
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    catalogUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/catalog`;
  });
  afterAll(async () => {
    await new Promise((resolve) => hostile?.close(resolve));
  });

  it('gets back only the content hash of the items on the next load, nothing it planted', async () => {
    // Arrange
    const first = await openRealWidget();
    await first.evaluate(
      (url) => (window as unknown as HearthWindow).startHearthAt(url),
      catalogUrl,
    );
    await first.locator('hearth-recs li[part="card"]').first().waitFor({ timeout: 60_000 });
    await first.close();
    // Act: a later visit starts from the stored catalog and revalidates it in the background.
    const second = await openRealWidget();
    await second.evaluate(
      (url) => (window as unknown as HearthWindow).startHearthAt(url),
      catalogUrl,
    );
    await expect.poll(() => visits.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await second.close();
    // Assert
    const later = visits.slice(1).map((v) => `${v.url} ${JSON.stringify(v.headers)}`);
    expect(later.join('\n')).not.toMatch(/visitor-/);
    const since = new URL(visits[1]!.url, catalogUrl).searchParams.get('since');
    expect(since).toBe(createHash('sha256').update(JSON.stringify(items)).digest('hex'));
  }, 90_000);
});

describe('"Forget me" and Cache Storage', () => {
  it("Hearth.forget() deletes Hearth's caches (any ?item= page in them too) and keeps the site's", async () => {
    // Arrange
    const page = await openRealWidget();
    await page.evaluate(
      (json) => (window as unknown as HearthWindow).startHearth(json),
      JSON.stringify(CATALOG),
    );
    await page.evaluate(async () => {
      // transformers.js's own cache, as versions that let the library cache model files left it.
      await (await caches.open('transformers-cache')).put('/models/m.onnx', new Response('m'));
      const hearth = await caches.open('hearth-v6-shell');
      await hearth.put('/?item=h1', new Response('an item page an old worker kept'));
      await (await caches.open('hearth-v7-model')).put('/models/x', new Response('model'));
      await (await caches.open('site-own')).put('/site.css', new Response('body{}'));
    });
    // Act
    await page.evaluate(() => (window as unknown as HearthWindow).Hearth.forget());
    const left = await page.evaluate(async () => {
      const names = await caches.keys();
      const keys = [];
      for (const name of names)
        for (const request of await (await caches.open(name)).keys()) keys.push(request.url);
      return { names, keys };
    });
    // Assert
    expect(left.names).toEqual(['site-own']);
    expect(left.keys.some((k) => k.includes('?item='))).toBe(false);
    await page.close();
  }, 90_000);
});
