/**
 * The server's copy of the catalog with integer versions and deltas: an admin upload replaces
 * the catalog; items that changed or appeared get the new version, missing ones a tombstone, so
 * a delta returns exactly what changed after a version.
 *
 * Clients never send back a version the server chose (it could be a per-visitor tag): they send
 * the content hash they computed themselves (`src/catalog/content-hash.ts`). The server computes
 * the same hashes, uses the full catalog's as its ETag, and keeps a bounded history
 * (`catalog_hashes` setting) of which version each hash it handed out stands for.
 */
import { catalogItemsHash, deltaChainHash } from '../catalog/content-hash.ts';
import type { CatalogDelta, CatalogFull } from '../protocol/catalog.ts';
import type { ServerStorage } from './storage.ts';

/** Content hashes remembered (oldest dropped first); a client with an older one gets the full catalog. */
export const CATALOG_HASH_HISTORY = 512;
const HISTORY_KEY = 'catalog_hashes';

/** The current full catalog, serialised once per version. */
export interface CurrentCatalog {
  readonly version: number;
  /** The content hash of its items (the ETag). */
  readonly hash: string;
  /** The JSON body `{ version, items }`. */
  readonly body: string;
}

/** A delta and the content hash a client holds after applying it. */
export interface HashedDelta {
  readonly delta: CatalogDelta;
  readonly hash: string;
}

type Item = CatalogFull['items'][number];

/** Creates the catalog service over storage. */
export function createCatalog(storage: ServerStorage) {
  const version = (): number => Number(storage.getSetting('catalog_version') ?? '0');
  let cached: CurrentCatalog | null = null;
  let history: Map<string, number> | null = null;

  const hashes = (): Map<string, number> => {
    if (history !== null) return history;
    let entries: [string, number][] = [];
    try {
      const raw: unknown = JSON.parse(storage.getSetting(HISTORY_KEY) ?? '[]');
      if (Array.isArray(raw))
        entries = raw.filter(
          (e): e is [string, number] =>
            Array.isArray(e) && typeof e[0] === 'string' && Number.isInteger(e[1]),
        );
    } catch {
      // A damaged history only costs full downloads.
    }
    history = new Map(entries);
    return history;
  };

  /** Records that `hash` stands for `v` (most recent last; the oldest beyond the cap dropped). */
  const remember = (hash: string, v: number): void => {
    const map = hashes();
    if (map.get(hash) === v) return;
    map.delete(hash);
    map.set(hash, v);
    for (const oldest of map.keys()) {
      if (map.size <= CATALOG_HASH_HISTORY) break;
      map.delete(oldest);
    }
    storage.setSetting(HISTORY_KEY, JSON.stringify([...map]));
  };

  const delta = (since: number, sinceLabel: string): CatalogDelta => {
    const rows = storage.catalogSince(since);
    return {
      version: String(version()),
      since: sinceLabel,
      upserts: rows.filter((r) => r.deleted === 0).map((r) => JSON.parse(r.body) as Item),
      deletions: rows.filter((r) => r.deleted === 1).map((r) => r.id),
    };
  };

  const current = async (): Promise<CurrentCatalog> => {
    const v = version();
    if (cached?.version === v) return cached;
    const items = storage.catalogLive().map((r) => JSON.parse(r.body) as Item);
    const hash = await catalogItemsHash(items);
    const full: CatalogFull = { version: String(v), items };
    remember(hash, v);
    cached = { version: v, hash, body: JSON.stringify(full) };
    return cached;
  };

  return {
    version,
    /**
     * Replaces the catalog with `items` (each stored as `record`, under `id`); returns the new
     * version (unchanged if nothing changed).
     */
    replace(items: readonly { readonly id: string; readonly record: unknown }[]): number {
      return storage.transaction(() => {
        const next = version() + 1;
        const existing = new Map(storage.catalogRows().map((r) => [r.id, r]));
        let changed = false;
        const seen = new Set<string>();
        for (const item of items) {
          const id = item.id;
          seen.add(id);
          const body = JSON.stringify(item.record);
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
    /** The full catalog at the current version with its content hash (remembered). */
    current,
    /** The content hash of the current catalog (also its ETag). */
    async contentHash(): Promise<string> {
      return (await current()).hash;
    },
    /** The version a content hash this server handed out stands for, if still remembered. */
    versionOf(hash: string): number | undefined {
      return hashes().get(hash);
    },
    /** What changed after the version `since` stands for, labelled with that hash, and the new hash. */
    async deltaFromHash(since: string, from: number): Promise<HashedDelta> {
      const body = delta(from, since);
      const hash = await deltaChainHash(since, body.upserts, body.deletions);
      remember(hash, Number(body.version));
      return { delta: body, hash };
    },
    /** What changed after integer version `since` (for scripts that track the version number). */
    delta(since: number): CatalogDelta {
      return delta(since, String(since));
    },
    itemIds(): string[] {
      return storage.catalogLive().map((r) => r.id);
    },
  };
}

/** The catalog service type. */
export type ServerCatalog = ReturnType<typeof createCatalog>;
