import { describe, expect, it } from 'vitest';
import { deleteHearthCaches, isHearthCacheName } from '../../src/store/caches.ts';

/** A Cache Storage stand-in holding only names (what deleteHearthCaches touches). */
function fakeCacheStorage(names: string[]): CacheStorage & { names: Set<string> } {
  const held = new Set(names);
  const storage = {
    names: held,
    keys: async () => [...held],
    delete: async (name: string) => held.delete(name),
  };
  return storage as unknown as CacheStorage & { names: Set<string> };
}

describe('deleteHearthCaches', () => {
  it("deletes every cache named hearth-… and the encoder library's, and none of the site's own", async () => {
    // Arrange
    const storage = fakeCacheStorage([
      'hearth-v7-shell',
      'hearth-v7-model',
      'hearth-v6-model-staging',
      'transformers-cache',
      'site-pages',
      'workbox-precache',
    ]);
    // Act
    const deleted = await deleteHearthCaches(storage);
    // Assert
    expect(deleted.sort()).toEqual([
      'hearth-v6-model-staging',
      'hearth-v7-model',
      'hearth-v7-shell',
      'transformers-cache',
    ]);
    expect([...storage.names].sort()).toEqual(['site-pages', 'workbox-precache']);
  });

  it('does nothing where Cache Storage does not exist', async () => {
    // Arrange / Act
    const deleted = await deleteHearthCaches(undefined);
    // Assert
    expect(deleted).toEqual([]);
    expect(isHearthCacheName('hearth-v7-shell')).toBe(true);
    expect(isHearthCacheName('hearthstone')).toBe(false);
  });
});
