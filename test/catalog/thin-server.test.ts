import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchFn } from '../../src/catalog/fetch-catalog.ts';
import { createApp } from '../../src/server/app.ts';
import { admin, setupApp } from '../server/helpers.ts';
import { books, countingEncoder, freshDbName, serviceTracker } from './helpers.ts';

const tracker = serviceTracker();
afterEach(async () => {
  await tracker.closeAll();
});

type App = Awaited<ReturnType<typeof setupApp>>['app'];

/** The client's fetch routed into the in-memory app; records each request's URL and headers. */
function appFetch(getApp: () => App) {
  const calls: { url: string; headers: Record<string, string>; status: number }[] = [];
  const fetch: FetchFn = async (url, init) => {
    const response = await getApp().request(url, { headers: init.headers, signal: init.signal });
    calls.push({ url, headers: init.headers, status: response.status });
    return response;
  };
  return { fetch, calls };
}

const put = (app: App, items: object[]) =>
  app.request('/v1/admin/catalog', { method: 'PUT', headers: admin, body: JSON.stringify(items) });

describe('catalog sync against the thin server (content-hash validators)', () => {
  it('answers 304 and deltas to the hash the client computed, also after a server restart', async () => {
    // Arrange
    const { app, storage } = await setupApp();
    let current: App = app;
    const { fetch, calls } = appFetch(() => current);
    const encoder = countingEncoder();
    const client = tracker.service({ encoder, dbName: freshDbName(), fetch });
    const url = 'http://hearth.test/v1/catalog';
    await put(app, books(4));
    // Act
    const first = await client.sync(url);
    const unchanged = await client.sync(url);
    await put(app, [...books(4).slice(1), { id: 'new', title: 'Fresh rockets' }]);
    const embeddedBefore = encoder.texts.length;
    const delta = await client.sync(url);
    const afterDelta = await client.sync(url);
    // The same storage behind a new app: the hash history survives a restart.
    current = createApp({ storage, adminToken: 'restarted-admin-token-0123456789abcdef' });
    const afterRestart = await client.sync(url);
    // Assert
    expect(first).toMatchObject({ ok: true, kind: 'full', count: 4 });
    expect(unchanged).toMatchObject({ ok: true, outcome: 'not-modified' });
    expect(delta).toMatchObject({ ok: true, kind: 'delta', count: 4, embedded: 1 });
    expect(encoder.texts.length - embeddedBefore).toBe(1);
    expect(client.getItem('b0')).toBeUndefined();
    expect(afterDelta).toMatchObject({ ok: true, outcome: 'not-modified' });
    expect(afterRestart).toMatchObject({ ok: true, outcome: 'not-modified' });
    expect(calls.map((c) => c.status)).toEqual([200, 304, 200, 304, 304]);
    const since = calls.slice(1).map((c) => new URL(c.url).searchParams.get('since'));
    expect(since.every((h) => h !== null && /^[0-9a-f]{64}$/.test(h))).toBe(true);
  });

  it('uses the content hash of the items as the ETag of the full catalog', async () => {
    // Arrange
    const { app } = await setupApp();
    await put(app, books(2));
    // Act
    const response = await app.request('/v1/catalog');
    const body = (await response.json()) as { items: unknown[] };
    const again = await app.request('/v1/catalog', {
      headers: { 'if-none-match': response.headers.get('etag') ?? '' },
    });
    // Assert
    const expected = createHash('sha256').update(JSON.stringify(body.items)).digest('hex');
    expect(response.headers.get('etag')).toBe(`"${expected}"`);
    expect(again.status).toBe(304);
  });

  it('answers an unknown or malformed since with the full catalog', async () => {
    // Arrange
    const { app } = await setupApp();
    await put(app, books(2));
    // Act
    const unknown = await app.request(`/v1/catalog?since=${'a'.repeat(64)}`);
    const tagged = await app.request('/v1/catalog?since=visitor-1234');
    // Assert
    expect(((await unknown.json()) as { items: unknown[] }).items).toHaveLength(2);
    expect(((await tagged.json()) as { items: unknown[] }).items).toHaveLength(2);
  });
});
