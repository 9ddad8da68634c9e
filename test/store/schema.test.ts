import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  deleteAllHearthDatabases,
  deleteHearthDB,
  HEARTH_DB_VERSION,
  listHearthDatabases,
  openHearthDB,
} from '../../src/store/schema.ts';

let counter = 0;
const freshName = () => `hearth-test-schema-${++counter}`;

describe('openHearthDB', () => {
  it('creates every store at the current version', async () => {
    // Arrange
    const name = freshName();
    // Act
    const db = await openHearthDB(name);
    // Assert
    expect(db.version).toBe(HEARTH_DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([
      'events',
      'images',
      'items',
      'ledger',
      'meta',
      'sync',
      'vectors',
    ]);
    expect([...db.transaction('events').store.indexNames]).toContain('by-at');
    expect([...db.transaction('ledger').store.indexNames]).toEqual(['by-at']);
    await deleteHearthDB(name);
  });

  it('migrates a version-1 database and keeps its items', async () => {
    // Arrange
    const name = freshName();
    const v1 = await openHearthDB(name, { version: 1 });
    await v1.put('items', {
      gen: 1,
      id: 'a',
      title: 'A',
      description: '',
      tags: [],
      available: true,
      extra: {},
      textHash: 'h',
    });
    expect([...v1.objectStoreNames]).not.toContain('events');
    expect([...v1.objectStoreNames]).toContain('models');
    v1.close();
    // Act
    const db = await openHearthDB(name);
    // Assert
    expect((await db.get('items', [1, 'a']))?.title).toBe('A');
    expect([...db.objectStoreNames]).not.toContain('models');
    const eventId = await db.add('events', { kind: 'view', itemId: 'a', at: 5 });
    const ledgerId = await db.add('ledger', {
      at: 6,
      kind: 'ldp',
      epsilon: 1,
      delta: 0,
      bytes: 10,
      summary: 's',
    });
    expect(typeof eventId).toBe('number');
    expect(typeof ledgerId).toBe('number');
    await deleteHearthDB(name);
  });
});

describe('migration v4 (image cache)', () => {
  it('adds the images store to a version-3 database and keeps its catalog', async () => {
    // Arrange
    const name = freshName();
    const v3 = await openHearthDB(name, { version: 3 });
    await v3.put('sync', {
      key: 'catalog',
      activeGen: 1,
      version: 'server-version',
      contentHash: null,
      url: '/c',
      sourceHash: null,
      count: 0,
      appliedAt: 1,
    });
    expect([...v3.objectStoreNames]).not.toContain('images');
    v3.close();
    // Act
    const db = await openHearthDB(name);
    await db.put('images', {
      url: 'https://shop.example/a.png',
      blob: new Blob(['png'], { type: 'image/png' }),
      bytes: 3,
      fetchedAt: 2,
    });
    // Assert
    expect((await db.get('sync', 'catalog'))?.key).toBe('catalog');
    const image = await db.get('images', 'https://shop.example/a.png');
    expect(await image?.blob.text()).toBe('png');
    await deleteHearthDB(name);
  });
});

describe('listHearthDatabases / deleteAllHearthDatabases', () => {
  it('lists and deletes every hearth database but no foreign one', async () => {
    // Arrange
    const name = freshName();
    const db = await openHearthDB(name);
    await db.put('meta', { key: 'x', value: 1 });
    const foreign = indexedDB.open('someone-else', 1);
    await new Promise((resolve) => {
      foreign.onsuccess = () => {
        foreign.result.close();
        resolve(null);
      };
    });
    // Act
    const listed = await listHearthDatabases();
    const deleted = await deleteAllHearthDatabases();
    // Assert
    expect(listed).toContain(name);
    expect(listed).toContain('hearth');
    expect(listed).not.toContain('someone-else');
    expect(deleted).toEqual(listed);
    const remaining = (await indexedDB.databases()).map((d) => d.name);
    expect(remaining).not.toContain(name);
    expect(remaining).toContain('someone-else');
  });
});
