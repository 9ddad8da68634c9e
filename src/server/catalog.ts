/**
 * The server's copy of the catalog with integer versions and deltas: an admin upload replaces
 * the catalog; items that changed or appeared get the new version, missing ones a tombstone, so
 * `GET /v1/catalog?since=N` returns exactly what changed after N.
 */
import type { CatalogDelta, CatalogFull } from '../protocol/catalog.ts';
import type { ServerStorage } from './storage.ts';

/** Creates the catalog service over storage. */
export function createCatalog(storage: ServerStorage) {
  const version = (): number => Number(storage.getSetting('catalog_version') ?? '0');
  return {
    version,
    /** Replaces the catalog with `items`; returns the new version (unchanged if nothing changed). */
    replace(items: readonly { id: string | number }[]): number {
      return storage.transaction(() => {
        const next = version() + 1;
        const existing = new Map(storage.catalogRows().map((r) => [r.id, r]));
        let changed = false;
        const seen = new Set<string>();
        for (const item of items) {
          const id = String(item.id);
          seen.add(id);
          const body = JSON.stringify(item);
          const old = existing.get(id);
          if (old === undefined || old.deleted === 1 || old.body !== body) {
            storage.upsertItem(id, body, next, false);
            changed = true;
          }
        }
        for (const [id, row] of existing) {
          if (row.deleted === 0 && !seen.has(id)) {
            storage.upsertItem(id, row.body, next, true);
            changed = true;
          }
        }
        if (!changed) return version();
        storage.setSetting('catalog_version', String(next));
        return next;
      });
    },
    full(): CatalogFull {
      return {
        version: String(version()),
        items: storage.catalogLive().map((r) => JSON.parse(r.body) as CatalogFull['items'][number]),
      };
    },
    delta(since: number): CatalogDelta {
      const rows = storage.catalogSince(since);
      return {
        version: String(version()),
        since: String(since),
        upserts: rows
          .filter((r) => r.deleted === 0)
          .map((r) => JSON.parse(r.body) as CatalogDelta['upserts'][number]),
        deletions: rows.filter((r) => r.deleted === 1).map((r) => r.id),
      };
    },
    itemIds(): string[] {
      return storage.catalogLive().map((r) => r.id);
    },
  };
}

/** The catalog service type. */
export type ServerCatalog = ReturnType<typeof createCatalog>;
