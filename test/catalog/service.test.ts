import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteHearthDB, openHearthDB } from '../../src/store/schema.ts';
import { books, countingEncoder, freshDbName, scriptedFetch, serviceTracker } from './helpers.ts';

const tracker = serviceTracker();
/** An independent sha256 (node:crypto) to check the client's content hashes against. */
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const { service } = tracker;
afterEach(async () => {
  await tracker.closeAll();
});

describe('CatalogService.load and search', () => {
  it('stores a catalog, searches it by text with filters, and finds it again after a restart', async () => {
    // Arrange
    const dbName = freshDbName();
    const encoder = countingEncoder();
    const first = service({ encoder, dbName });
    // Act
    const result = await first.load(JSON.stringify(books()));
    const hits = await first.search({ text: 'whales in the ocean', k: 3 });
    const fiction = await first.search({
      text: 'book',
      k: 10,
      filter: { category: 'fiction', availableOnly: true, excludeIds: ['b2'] },
    });
    await first.close();
    tracker.release();
    const again = service({ encoder, dbName });
    const textsBefore = encoder.texts.length;
    const status = await again.status();
    const hitsAgain = await again.search({ text: 'whales in the ocean', k: 3 });
    // Assert
    expect(result).toMatchObject({
      ok: true,
      outcome: 'updated',
      kind: 'full',
      count: 6,
      embedded: 6,
    });
    expect(hits[0]?.id).toBe('b0');
    expect(hits[0]?.item.title).toBe('Book 0 about whales');
    expect(fiction.map((h) => h.id).sort()).toEqual(['b0', 'b4']);
    expect(status).toMatchObject({
      state: 'ready',
      count: 6,
      indexed: 6,
      model: { key: 'fake-encoder@fake-v1', dims: 32 },
    });
    expect(hitsAgain.map((h) => h.id)).toEqual(hits.map((h) => h.id));
    expect(encoder.texts.length - textsBefore).toBe(1); // only the query text
  });

  it('exposes the index, items and vectors synchronously and as packed blocks', async () => {
    // Arrange
    const s = service({ encoder: countingEncoder(), dbName: freshDbName() });
    await s.load(books(4));
    // Act
    const index = s.getIndex();
    const block = await s.getVectors(['b1', 'missing']);
    const embedded = await s.embed(['whales', 'dragons']);
    // Assert
    expect(index.size).toBe(4);
    expect(s.getItem('b2')?.title).toBe('Book 2 about space');
    expect([...s.allItems()].map((i) => i.id)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(block.data).toHaveLength(2 * 32);
    expect(block.data.subarray(32).every((x) => x === 0)).toBe(true);
    expect(Math.hypot(...block.data.subarray(0, 32))).toBeCloseTo(1, 5);
    expect(embedded.dims).toBe(32);
    expect(await s.getItems(['b3', 'nope'])).toEqual([
      expect.objectContaining({ id: 'b3', available: false }),
      null,
    ]);
    expect(await s.count()).toBe(4);
  });

  it('refuses a catalog with no valid item and keeps the previous one', async () => {
    // Arrange
    const s = service({ encoder: countingEncoder(), dbName: freshDbName() });
    await s.load(books(3));
    // Act
    const result = await s.load('[{"title":"no id"}]');
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid' }, count: 3 });
    expect(result.ok ? '' : result.error.message).toMatch(/no valid item/);
    expect(await s.count()).toBe(3);
  });

  it('stores <script> and onerror= as inert text in IndexedDB', async () => {
    // Arrange
    const dbName = freshDbName();
    const s = service({ encoder: countingEncoder(), dbName });
    // Act
    await s.load([
      {
        id: 'x',
        title: 'Hi<script>alert(1)</script>',
        description: '<img src=x onerror=alert(1)>text',
      },
    ]);
    const db = await openHearthDB(dbName);
    const rows = await db.getAll('items');
    db.close();
    // Assert
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ title: 'Hi', description: 'text' });
    expect(JSON.stringify(rows)).not.toMatch(/<script|onerror/i);
  });

  it('re-embeds everything when the encoder version changes and drops the old vectors', async () => {
    // Arrange
    const dbName = freshDbName();
    const v1 = service({ encoder: countingEncoder(32, 'v1'), dbName });
    await v1.load(books(5));
    await v1.close();
    tracker.release();
    const encoder2 = countingEncoder(32, 'v2');
    // Act
    const v2 = service({ encoder: encoder2, dbName });
    await v2.ready();
    const db = await openHearthDB(dbName);
    const models = new Set((await db.getAll('vectors')).map((v) => v.model));
    db.close();
    // Assert
    expect(encoder2.texts).toHaveLength(5);
    expect(models).toEqual(new Set(['fake-encoder@v2']));
    expect((await v2.status()).indexed).toBe(5);
  });
});

describe('CatalogService.sync', () => {
  it('sends back only its own content hash (since and If-None-Match) and treats 304 as not modified', async () => {
    // Arrange
    const items = books(3);
    const hash = sha256(JSON.stringify(items));
    const body = JSON.stringify({ version: 'v1', items });
    const { fetch, calls } = scriptedFetch((_url, headers) =>
      headers['if-none-match'] === `"${hash}"`
        ? { status: 304 }
        : { status: 200, body, etag: `"${hash}"` },
    );
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    // Act
    const first = await s.sync('https://shop.example/catalog');
    const second = await s.sync('https://shop.example/catalog');
    // Assert
    expect(first).toMatchObject({ ok: true, outcome: 'updated', version: 'v1', count: 3 });
    expect(second).toMatchObject({ ok: true, outcome: 'not-modified', count: 3 });
    expect(calls[0]?.url).toBe('https://shop.example/catalog');
    expect(calls[0]?.headers['if-none-match']).toBeUndefined();
    expect(calls[1]?.url).toBe(`https://shop.example/catalog?since=${hash}`);
    expect(calls[1]?.headers['if-none-match']).toBe(`"${hash}"`);
  });

  it('replays nothing a hostile server planted: a unique ETag and version per visitor never come back', async () => {
    // Arrange: every answer carries a fresh tag in the ETag, the version and Last-Modified.
    const items = books(3);
    let visitor = 0;
    const { fetch, calls } = scriptedFetch(() => {
      visitor += 1;
      return {
        status: 200,
        body: JSON.stringify({ version: `tag-${visitor}-version`, items }),
        etag: `"tag-${visitor}-etag"`,
      };
    });
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync('https://evil.example/catalog');
    // Act
    await s.sync('https://evil.example/catalog');
    await s.sync('https://evil.example/catalog');
    // Assert
    const later = calls.slice(1).map((c) => `${c.url} ${JSON.stringify(c.headers)}`);
    expect(later.join('\n')).not.toMatch(/tag-/);
    const expected = sha256(JSON.stringify(items));
    expect(calls.slice(1).map((c) => new URL(c.url).searchParams.get('since'))).toEqual([
      expected,
      expected,
    ]);
  });

  it('sends nothing back to a static file server: no If-None-Match, no since', async () => {
    // Arrange
    const body = JSON.stringify(books(2));
    const { fetch, calls } = scriptedFetch(() => ({ status: 200, body, etag: '"static-1"' }));
    const encoder = countingEncoder();
    const s = service({ encoder, dbName: freshDbName(), fetch });
    await s.sync('/catalog.json');
    const embedded = encoder.texts.length;
    // Act
    const second = await s.sync('/catalog.json');
    // Assert
    expect(calls[1]?.url).toBe('/catalog.json');
    expect(calls[1]?.headers['if-none-match']).toBeUndefined();
    expect(second).toMatchObject({ ok: true, outcome: 'not-modified', count: 2 });
    expect(encoder.texts.length).toBe(embedded);
  });

  it('applies a delta: only new or changed items are embedded, deletions are removed', async () => {
    // Arrange
    const base = books(4);
    const baseHash = sha256(JSON.stringify(base));
    const changed = { ...base[1]!, description: 'Now about submarines.' };
    const priceOnly = { ...base[2]!, price: 3 };
    const delta = {
      version: 'v2',
      since: baseHash,
      upserts: [changed, priceOnly, { id: 'new', title: 'Fresh rockets' }],
      deletions: ['b0'],
    };
    const afterDelta = sha256(
      `${baseHash}\n${JSON.stringify({ upserts: delta.upserts, deletions: delta.deletions })}`,
    );
    const { fetch, calls } = scriptedFetch((url) =>
      url.includes(`since=${baseHash}`)
        ? { status: 200, body: JSON.stringify(delta), etag: `"${afterDelta}"` }
        : url.includes(`since=${afterDelta}`)
          ? { status: 304 }
          : { status: 200, body: JSON.stringify({ version: 'v1', items: base }) },
    );
    const encoder = countingEncoder();
    const s = service({ encoder, dbName: freshDbName(), fetch });
    await s.sync('/catalog');
    const before = encoder.texts.length;
    // Act
    const result = await s.sync('/catalog');
    const third = await s.sync('/catalog');
    // Assert
    expect(result).toMatchObject({ ok: true, kind: 'delta', version: 'v2', count: 4, embedded: 2 });
    expect(encoder.texts.length - before).toBe(2);
    expect(s.getItem('b0')).toBeUndefined();
    expect(s.getItem('b2')?.price).toBe(3);
    expect((await s.search({ text: 'submarines', k: 1 }))[0]?.id).toBe('b1');
    expect(s.getIndex().rowOf('new')).toBeDefined();
    expect(third).toMatchObject({ ok: true, outcome: 'not-modified' });
    expect(calls.map((c) => c.url)).toEqual([
      '/catalog',
      `/catalog?since=${baseHash}`,
      `/catalog?since=${afterDelta}`,
    ]);
  });

  it('takes the full catalog when a delta does not lead to the hash the server names', async () => {
    // Arrange
    const base = books(2);
    const baseHash = sha256(JSON.stringify(base));
    const delta = { version: 'v2', since: baseHash, upserts: [], deletions: ['b0'] };
    let full = 0;
    const { fetch, calls } = scriptedFetch((url) => {
      if (url.includes('since=')) {
        return { status: 200, body: JSON.stringify(delta), etag: `"${'0'.repeat(64)}"` };
      }
      full += 1;
      const items = full === 1 ? base : books(3);
      return { status: 200, body: JSON.stringify({ version: `v${full}`, items }) };
    });
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync('/c');
    // Act
    const result = await s.sync('/c');
    // Assert
    expect(result).toMatchObject({ ok: true, kind: 'full', count: 3, version: 'v2' });
    expect(calls.map((c) => c.url)).toEqual(['/c', `/c?since=${baseHash}`, '/c']);
  });

  it('falls back to the full catalog when the delta does not start at our hash or is gone', async () => {
    // Arrange
    let round = 0;
    const first = books(2);
    const hash = sha256(JSON.stringify(first));
    const { fetch, calls } = scriptedFetch((url) => {
      round += 1;
      if (round === 1)
        return { status: 200, body: JSON.stringify({ version: 'v1', items: first }) };
      if (url.includes(`since=${hash}`))
        return round === 2
          ? { status: 410 }
          : { status: 200, body: '{"version":"v9","since":"v5","upserts":[],"deletions":[]}' };
      return { status: 200, body: JSON.stringify({ version: `v${round}`, items: books(3) }) };
    });
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync('/c');
    // Act
    const gone = await s.sync('/c');
    // Assert
    expect(gone).toMatchObject({ ok: true, kind: 'full', count: 3, version: 'v3' });
    expect(calls.map((c) => c.url)).toEqual(['/c', `/c?since=${hash}`, '/c']);
  });

  it('keeps the last good catalog when the URL 404s, is offline, times out or sends garbage', async () => {
    // Arrange
    let mode: 'ok' | '404' | 'offline' | 'hang' | 'garbage' = 'ok';
    const { fetch } = scriptedFetch(() => {
      if (mode === 'ok') return { status: 200, body: JSON.stringify(books(3)) };
      if (mode === '404') return { status: 404, body: 'not found' };
      if (mode === 'garbage') return { status: 200, body: '[{"id": "a", ' };
      return mode;
    });
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync('/c');
    // Act
    const results = [];
    for (const m of ['404', 'offline', 'hang', 'garbage'] as const) {
      mode = m;
      results.push(await s.sync('/c', { full: true, timeoutMs: 5 }));
    }
    const status = await s.status();
    // Assert
    expect(results.map((r) => (r.ok ? 'ok' : r.error.kind))).toEqual([
      'http',
      'offline',
      'timeout',
      'invalid',
    ]);
    expect(results[0]).toMatchObject({ ok: false, error: { httpStatus: 404 }, count: 3 });
    expect(status).toMatchObject({
      state: 'ready',
      count: 3,
      lastAttempt: { ok: false, error: { kind: 'invalid' } },
    });
    expect((await s.search({ text: 'whales', k: 1 }))[0]?.id).toBe('b0');
  });

  it('reports progress for fetch, parse, embed, store and done', async () => {
    // Arrange
    const { fetch } = scriptedFetch(() => ({ status: 200, body: JSON.stringify(books(5)) }));
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch, batchSize: 2 });
    const phases: string[] = [];
    // Act
    await s.sync('/c', {}, (p) => phases.push(`${p.phase}:${p.stored}/${p.total}`));
    // Assert
    expect(phases).toEqual([
      'fetch:0/0',
      'parse:0/5',
      'embed:0/5',
      'store:2/5',
      'embed:2/5',
      'store:4/5',
      'embed:4/5',
      'store:5/5',
      'done:5/5',
    ]);
  });

  it('refuses a server that answers every request with a delta, without looping', async () => {
    // Arrange
    const { fetch, calls } = scriptedFetch(() => ({
      status: 200,
      body: '{"version":"v1","upserts":[],"deletions":[]}',
    }));
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    // Act
    const result = await s.sync('/c');
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid' }, count: 0 });
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it('refuses an HTML page answered for the catalog URL and keeps the catalog', async () => {
    // Arrange
    let html = false;
    const { fetch } = scriptedFetch(() =>
      html
        ? {
            status: 200,
            body: '<!doctype html><p>app</p>',
            contentType: 'text/html; charset=utf-8',
          }
        : { status: 200, body: JSON.stringify(books(2)) },
    );
    const s = service({ encoder: countingEncoder(), dbName: freshDbName(), fetch });
    await s.sync('/c');
    html = true;
    // Act
    const result = await s.sync('/c', { full: true });
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'http', httpStatus: 200 }, count: 2 });
    expect(result.ok ? '' : result.error.message).toMatch(/answered an HTML page/);
  });
});

describe('CatalogService after "Forget me"', () => {
  it('keeps answering status and stores the next catalog in the fresh database, no "connection is closing"', async () => {
    // Arrange: a stored catalog, then "Forget me" deletes the database under the service.
    const dbName = freshDbName();
    const catalog = service({ encoder: countingEncoder(), dbName });
    await catalog.load(JSON.stringify(books(4)));
    await deleteHearthDB(dbName);
    // Act
    const status = await catalog.status();
    const reloaded = await catalog.load(JSON.stringify(books(3)));
    const db = await openHearthDB(dbName);
    const stored = await db.count('items');
    db.close();
    // Assert
    expect(status).toMatchObject({ state: 'ready', resumable: false });
    expect(reloaded).toMatchObject({ ok: true, count: 3 });
    expect(stored).toBe(3);
  });
});
