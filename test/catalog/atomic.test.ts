import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { openHearthDB } from '../../src/store/schema.ts';
import { books, countingEncoder, freshDbName, scriptedFetch, serviceTracker } from './helpers.ts';

const realPut = IDBObjectStore.prototype.put;
/** Makes every put after the next `allowed` ones throw a QuotaExceededError, as a full disk does. */
function injectQuotaAfter(allowed: number): void {
  let left = allowed;
  IDBObjectStore.prototype.put = function put(
    this: IDBObjectStore,
    ...args: Parameters<IDBObjectStore['put']>
  ) {
    if (left <= 0) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    left -= 1;
    return realPut.apply(this, args);
  };
}

const tracker = serviceTracker();
const { service } = tracker;
afterEach(async () => {
  IDBObjectStore.prototype.put = realPut;
  await tracker.closeAll();
});

async function storedTitles(dbName: string): Promise<{ gens: number[]; titles: string[] }> {
  const db = await openHearthDB(dbName);
  const items = await db.getAll('items');
  db.close();
  return { gens: [...new Set(items.map((i) => i.gen))], titles: items.map((i) => i.title).sort() };
}

describe('atomic apply', () => {
  it('keeps the previous complete catalog when a full sync hits the quota mid-way', async () => {
    // Arrange
    const dbName = freshDbName();
    const s = service({ encoder: countingEncoder(), dbName, batchSize: 3 });
    await s.load(books(3));
    const before = await storedTitles(dbName);
    const bigger = books(10).map((b) => ({ ...b, title: `${b.title} (2nd edition)` }));
    injectQuotaAfter(8);
    // Act
    const result = await s.load(bigger);
    IDBObjectStore.prototype.put = realPut;
    const status = await s.status();
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'quota' }, count: 3 });
    expect(result.ok ? '' : result.error.message).toMatch(
      /quota exceeded.*previous data is intact/i,
    );
    expect(status).toMatchObject({
      state: 'ready',
      count: 3,
      resumable: false,
      lastAttempt: { ok: false, error: { kind: 'quota' } },
    });
    expect(await storedTitles(dbName)).toEqual(before);
    expect((await s.search({ text: 'whales', k: 1 }))[0]?.item.title).toBe('Book 0 about whales');
  });

  it('leaves the catalog untouched when a delta hits the quota', async () => {
    // Arrange
    const dbName = freshDbName();
    const delta = {
      version: 'v2',
      upserts: [
        { id: 'b0', title: 'Changed' },
        { id: 'z', title: 'New' },
      ],
      deletions: ['b1'],
    };
    const { fetch } = scriptedFetch((url) =>
      url.includes('since')
        ? { status: 200, body: JSON.stringify(delta) }
        : { status: 200, body: JSON.stringify({ version: 'v1', items: books(3) }) },
    );
    const s = service({ encoder: countingEncoder(), dbName, fetch });
    await s.sync('/c');
    const before = await storedTitles(dbName);
    injectQuotaAfter(2);
    // Act
    const result = await s.sync('/c');
    IDBObjectStore.prototype.put = realPut;
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'quota' }, version: 'v1', count: 3 });
    expect(await storedTitles(dbName)).toEqual(before);
    expect(s.getItem('b1')).toBeDefined();
    expect((await s.status()).version).toBe('v1');
  });

  it('resumes an interrupted full sync from its checkpoint without re-embedding stored batches', async () => {
    // Arrange: the first attempt dies after two batches, as when the tab is closed.
    const dbName = freshDbName();
    const catalog = JSON.stringify(books(10));
    const dying = countingEncoder();
    let batches = 0;
    const crashing = {
      ...dying,
      embed: async (texts: readonly string[]) => {
        batches += 1;
        if (batches > 2) throw new Error('tab closed');
        return dying.embed(texts);
      },
    };
    const first = service({ encoder: crashing, dbName, batchSize: 4 });
    const crashed = await first.load(catalog);
    const afterCrash = await first.status();
    await first.close();
    tracker.release();
    const encoder = countingEncoder();
    // Act
    const second = service({ encoder, dbName, batchSize: 4 });
    const result = await second.load(catalog);
    // Assert
    expect(crashed).toMatchObject({
      ok: false,
      error: { kind: 'internal', message: 'tab closed' },
    });
    expect(afterCrash).toMatchObject({ state: 'empty', count: 0, resumable: true });
    expect(result).toMatchObject({ ok: true, resumed: true, count: 10, embedded: 2 });
    expect(encoder.texts).toHaveLength(2);
    expect((await second.status()).resumable).toBe(false);
    expect((await storedTitles(dbName)).gens).toHaveLength(1);
  });

  it('starts over when a different body arrives after an interrupted sync', async () => {
    // Arrange
    const dbName = freshDbName();
    let calls = 0;
    const flaky = countingEncoder();
    const first = service({
      encoder: {
        ...flaky,
        embed: async (t: readonly string[]) =>
          ++calls > 1 ? Promise.reject(new Error('closed')) : flaky.embed(t),
      },
      dbName,
      batchSize: 2,
    });
    await first.load(books(6));
    await first.close();
    tracker.release();
    // Act
    const second = service({ encoder: countingEncoder(), dbName, batchSize: 2 });
    const result = await second.load(books(4));
    // Assert
    expect(result).toMatchObject({ ok: true, resumed: false, count: 4 });
    const stored = await storedTitles(dbName);
    expect(stored.gens).toHaveLength(1);
    expect(stored.titles).toHaveLength(4);
  });
});
