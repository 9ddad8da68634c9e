import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { imageBase, imagesToCache } from '../../src/catalog/images.ts';
import { openHearthDB } from '../../src/store/schema.ts';
import {
  books,
  countingEncoder,
  type FakeAnswer,
  freshDbName,
  scriptedFetch,
  serviceTracker,
} from './helpers.ts';

const tracker = serviceTracker();
afterEach(async () => {
  await tracker.closeAll();
});

const SHOP = 'https://shop.example/catalog.json';
const svg = (label: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg"><title>${label}</title></svg>`;

/** Books whose images are `/img/<cover>.svg`, `cover` cycling through `covers`. */
function illustrated(n: number, covers: readonly string[]) {
  return books(n).map((b, i) => ({ ...b, image: `/img/${covers[i % covers.length]}.svg` }));
}

/** Answers the catalog URL with `catalog()` and every image URL with an SVG of its path. */
function shop(catalog: () => unknown, image: (url: string) => FakeAnswer | 'hang' = svgAnswer) {
  return scriptedFetch((url) =>
    url.startsWith(SHOP) ? { status: 200, body: JSON.stringify(catalog()) } : image(url),
  );
}

function svgAnswer(url: string): FakeAnswer {
  return { status: 200, body: svg(new URL(url).pathname), contentType: 'image/svg+xml' };
}

describe('catalog images cached at sync', () => {
  it('fetches the first maxCount distinct images in catalog order through the injected fetch', async () => {
    // Arrange
    const items = illustrated(8, ['a', 'b', 'a', 'c', 'd']);
    const { fetch, calls } = shop(() => items);
    const s = tracker.service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    // Act
    const result = await s.sync(SHOP, { images: { maxCount: 3 } });
    // Assert
    const images = calls.filter((c) => c.purpose === 'image').map((c) => c.url);
    expect(images).toEqual([
      'https://shop.example/img/a.svg',
      'https://shop.example/img/b.svg',
      'https://shop.example/img/c.svg',
    ]);
    expect(result).toMatchObject({ ok: true, images: { cached: 3, fetched: 3, failed: 0 } });
    const cover = s.cachedImage(s.getItem('b2')!);
    expect(cover?.type).toBe('image/svg+xml');
    expect(await cover?.text()).toBe(svg('/img/a.svg'));
    expect(s.cachedImage(s.getItem('b4')!)).toBeUndefined(); // d is past maxCount
  });

  it('keeps only image types within the byte caps and reports every refusal', async () => {
    // Arrange
    const items = illustrated(6, ['ok', 'html', 'big', 'lying', 'missing', 'later']);
    const big = new Uint8Array(2048);
    const { fetch } = shop(
      () => items,
      (url) => {
        if (url.endsWith('/html.svg'))
          return { status: 200, body: '<p>hi</p>', contentType: 'text/html' };
        if (url.endsWith('/big.svg'))
          return { status: 200, bytes: big, contentType: 'image/png', contentLength: 2048 };
        if (url.endsWith('/lying.svg'))
          return { status: 200, bytes: big, contentType: 'image/png' };
        if (url.endsWith('/missing.svg')) return { status: 404 };
        return svgAnswer(url);
      },
    );
    const s = tracker.service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    // Act
    const result = await s.sync(SHOP, { images: { maxBytes: 1024, concurrency: 1 } });
    // Assert
    expect(result).toMatchObject({ ok: true, images: { cached: 2, fetched: 2, failed: 4 } });
    const reasons = result.ok ? (result.images?.failures ?? []).map((f) => f.reason) : [];
    expect(reasons).toEqual([
      "content type 'text/html' is not an image type Hearth caches",
      '2048 bytes is over the 1024-byte cap',
      '2048 bytes is over the 1024-byte cap',
      'HTTP 404',
    ]);
  });

  it('stops fetching at the total byte cap', async () => {
    // Arrange
    const items = illustrated(5, ['a', 'b', 'c', 'd', 'e']);
    const { fetch, calls } = shop(() => items);
    const s = tracker.service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    const one = new Blob([svg('/img/a.svg')]).size;
    // Act
    const result = await s.sync(SHOP, { images: { maxTotalBytes: one * 2, concurrency: 1 } });
    // Assert
    expect(result).toMatchObject({ ok: true, images: { cached: 2 } });
    expect(calls.filter((c) => c.purpose === 'image')).toHaveLength(2);
  });

  it('never has more than `concurrency` image requests in flight', async () => {
    // Arrange
    const items = illustrated(12, 'abcdefghijkl'.split(''));
    let inFlight = 0;
    let most = 0;
    const { fetch: inner } = shop(() => items);
    const s = tracker.service({
      encoder: countingEncoder(),
      dbName: freshDbName(),
      fetch: async (url, init) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        try {
          return await inner(url, init);
        } finally {
          inFlight -= 1;
        }
      },
    });
    // Act
    const result = await s.sync(SHOP, { images: { concurrency: 3 } });
    // Assert
    expect(result).toMatchObject({ ok: true, images: { fetched: 12 } });
    expect(most).toBe(3);
  });

  it('re-syncs fetch only new image URLs and drop the ones no longer named', async () => {
    // Arrange
    let items = illustrated(4, ['a', 'b']);
    const dbName = freshDbName();
    const { fetch, calls } = shop(() => items);
    const s = tracker.service({ encoder: countingEncoder(), dbName, fetch });
    await s.sync(SHOP);
    items = illustrated(4, ['b', 'c']);
    calls.length = 0;
    // Act
    const result = await s.sync(SHOP);
    // Assert
    expect(calls.filter((c) => c.purpose === 'image').map((c) => c.url)).toEqual([
      'https://shop.example/img/c.svg',
    ]);
    expect(result).toMatchObject({ ok: true, images: { cached: 2, fetched: 1, removed: 1 } });
    const db = await openHearthDB(dbName);
    const stored = (await db.getAllKeys('images')).sort();
    db.close();
    expect(stored).toEqual(['https://shop.example/img/b.svg', 'https://shop.example/img/c.svg']);
  });

  it('serves cached images after a restart without fetching them again', async () => {
    // Arrange
    const items = illustrated(3, ['a']);
    const dbName = freshDbName();
    const first = shop(() => items);
    const before = tracker.service({ encoder: countingEncoder(), dbName, fetch: first.fetch });
    await before.sync(SHOP);
    await before.close();
    tracker.release();
    const offline = scriptedFetch(() => 'offline');
    // Act
    const after = tracker.service({ encoder: countingEncoder(), dbName, fetch: offline.fetch });
    await after.ready();
    const cover = after.cachedImage(after.getItem('b1')!);
    // Assert
    expect(await cover?.text()).toBe(svg('/img/a.svg'));
    expect(offline.calls).toEqual([]);
  });

  it("fetches nothing and deletes every cached image with images 'none' or 'direct'", async () => {
    // Arrange
    const items = illustrated(3, ['a', 'b']);
    const { fetch, calls } = shop(() => items);
    const s = tracker.service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync(SHOP);
    calls.length = 0;
    // Act
    const none = await s.sync(SHOP, { images: { mode: 'none' } });
    const direct = await s.sync(SHOP, { images: { mode: 'direct' } });
    // Assert
    expect(calls.filter((c) => c.purpose === 'image')).toEqual([]);
    expect(none).toMatchObject({ ok: true, images: { cached: 0, removed: 2 } });
    expect(direct).toMatchObject({ ok: true, images: { cached: 0, removed: 0 } });
    expect(s.cachedImage(s.getItem('b0')!)).toBeUndefined();
  });

  it('drops the images held in memory on forgetImages', async () => {
    // Arrange
    const { fetch } = shop(() => illustrated(2, ['a']));
    const s = tracker.service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync(SHOP);
    // Act
    s.forgetImages();
    // Assert
    expect(s.cachedImage(s.getItem('b0')!)).toBeUndefined();
  });
});

describe('imagesToCache', () => {
  it('depends on the catalog alone: http(s) URLs resolved against the catalog, in order', () => {
    // Arrange
    const items = [
      { image: 'covers/x.png' },
      { image: 'javascript:alert(1)' },
      { image: 'https://cdn.example/y.png' },
      {},
      { image: '/covers/x.png' },
      { image: 'data:image/png;base64,AA==' },
    ];
    // Act
    const urls = imagesToCache(items, 'https://shop.example/api/catalog.json', 10);
    // Assert
    expect(urls).toEqual([
      'https://shop.example/api/covers/x.png',
      'https://cdn.example/y.png',
      'https://shop.example/covers/x.png',
    ]);
  });

  it('resolves against the origin of a blob: catalog URL', () => {
    // Arrange / Act
    const base = imageBase('blob:http://127.0.0.1:5173/0b6c1e8e-1111-2222-3333-444455556666');
    // Assert
    expect(base).toBe('http://127.0.0.1:5173/');
  });
});
