/**
 * Hearth's one IndexedDB schema (typed with idb's `DBSchema`) and its versioned migrations.
 *
 * Stores:
 * - `items`: catalog items keyed by `[generation, id]`; a sync writes a new generation next to the
 *   active one and flips the pointer in `sync` (atomic apply).
 * - `vectors`: one Float32 `ArrayBuffer` per embedded text, keyed by `[model version, text hash]`,
 *   so a model change re-embeds everything and an unchanged item is never re-embedded.
 * - `events`: interaction events (filled by the engine).
 * - `sync`: catalog pointer, sync state and the staging checkpoint.
 * - `meta`: free key/value settings.
 * - `ledger`: privacy releases (filled by the privacy ledger).
 * - `images`: the catalog's images as Blobs keyed by their absolute URL, fetched at catalog sync
 *   for a set that does not depend on the visitor, so cards render without a network load.
 */
import { type DBSchema, deleteDB, type IDBPDatabase, openDB, type StoreNames, unwrap } from 'idb';
import type { CatalogItem } from '../protocol/catalog.ts';

/** A catalog item as stored: the sanitised item, its generation and the hash of its embedded text. */
export interface StoredItem extends CatalogItem {
  readonly gen: number;
  /** Hash of the text that is embedded (`src/catalog/embed-text.ts`); keys the item's vector. */
  readonly textHash: string;
}

/** One embedded text: a Float32 vector in an ArrayBuffer (never a number array). */
export interface VectorRecord {
  readonly model: string;
  readonly hash: string;
  readonly dims: number;
  readonly data: ArrayBuffer;
}

/** An interaction event (written by the engine). */
export interface EventRecord {
  id?: number;
  kind: string;
  itemId: string;
  at: number;
}

/** One privacy release (written by the privacy ledger). */
export interface LedgerRecord {
  id?: number;
  at: number;
  kind: string;
  epsilon: number;
  delta: number;
  bytes: number;
  summary: string;
}

/** One cached catalog image (`src/store/image-store.ts`). */
export interface ImageRecord {
  /** Absolute http(s) URL of the image as the catalog names it (resolved). */
  readonly url: string;
  /** The bytes, with a checked `image/*` type. */
  readonly blob: Blob;
  readonly bytes: number;
  readonly fetchedAt: number;
}

/** The active catalog: which generation is live and where it came from. */
export interface CatalogPointer {
  readonly key: 'catalog';
  readonly activeGen: number;
  /** The server's version string: shown, never sent back. */
  readonly version: string | null;
  /**
   * The content hash this client computed of the catalog it holds (`src/catalog/content-hash.ts`),
   * the only value a sync sends back; null when the body was not a `{ version, items }` envelope.
   * Pointers written before v4 have an `etag` field instead, which is never read.
   */
  readonly contentHash: string | null;
  readonly url: string | null;
  /** Hash of the last full body applied; an identical body is not applied again. */
  readonly sourceHash: string | null;
  readonly count: number;
  readonly appliedAt: number;
}

/** A full sync in progress: a checkpoint that a later sync of the same body resumes from. */
export interface StagingRecord {
  readonly key: 'staging';
  readonly gen: number;
  /** Hash of the source body; a resume happens only for the same body. */
  readonly sourceHash: string;
  readonly total: number;
  readonly stored: number;
  readonly startedAt: number;
}

/** The last sync attempt's outcome (kept even when it failed). */
export interface SyncAttemptRecord {
  readonly key: 'attempt';
  readonly at: number;
  readonly ok: boolean;
  readonly errorKind: string | null;
  readonly message: string | null;
  readonly httpStatus: number | null;
}

/** Everything the `sync` store holds, discriminated by `key`. */
export type SyncRecord = CatalogPointer | StagingRecord | SyncAttemptRecord;

/** A free setting in `meta`. */
export interface MetaRecord {
  readonly key: string;
  readonly value: string | number | boolean | null;
}

/** The whole database, typed. */
export interface HearthDB extends DBSchema {
  items: { key: [number, string]; value: StoredItem; indexes: { 'by-gen': number } };
  vectors: { key: [string, string]; value: VectorRecord; indexes: { 'by-model': string } };
  events: { key: number; value: EventRecord; indexes: { 'by-at': number; 'by-item': string } };
  sync: { key: SyncRecord['key']; value: SyncRecord };
  meta: { key: string; value: MetaRecord };
  ledger: { key: number; value: LedgerRecord; indexes: { 'by-at': number } };
  images: { key: string; value: ImageRecord };
}

/** Every store name. */
export type HearthStore = StoreNames<HearthDB>;

// Migrations describe past shapes (v1 had a `models` store that v3 removes), so they work on the
// plain IndexedDB database; the typed `HearthDB` is the shape after the last one.
type Migration = (db: IDBDatabase) => void;

/**
 * Migrations in order; migration i upgrades a database from version i to i + 1.
 * Never edit a shipped migration: append a new one.
 */
export const MIGRATIONS: readonly Migration[] = [
  // v1: the catalog (items, vectors, sync state), model metadata and settings.
  (db) => {
    const items = db.createObjectStore('items', { keyPath: ['gen', 'id'] });
    items.createIndex('by-gen', 'gen');
    const vectors = db.createObjectStore('vectors', { keyPath: ['model', 'hash'] });
    vectors.createIndex('by-model', 'model');
    db.createObjectStore('models', { keyPath: 'name' });
    db.createObjectStore('sync', { keyPath: 'key' });
    db.createObjectStore('meta', { keyPath: 'key' });
  },
  // v2: on-device interaction events and the privacy ledger.
  (db) => {
    const events = db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
    events.createIndex('by-at', 'at');
    events.createIndex('by-item', 'itemId');
    const ledger = db.createObjectStore('ledger', { keyPath: 'id', autoIncrement: true });
    ledger.createIndex('by-at', 'at');
  },
  // v3: the `models` store of v1 was never used (models are files, cached by the service worker).
  (db) => {
    if (db.objectStoreNames.contains('models')) db.deleteObjectStore('models');
  },
  // v4: catalog images cached on the device, so that cards never load an image from the network.
  (db) => {
    db.createObjectStore('images', { keyPath: 'url' });
  },
];

/** The current schema version. */
export const HEARTH_DB_VERSION = MIGRATIONS.length;

/** Applies the migrations between two versions (used by `openHearthDB`'s upgrade callback). */
export function migrate(db: IDBDatabase, oldVersion: number, newVersion: number): void {
  for (let v = oldVersion; v < newVersion; v++) MIGRATIONS[v]?.(db);
}

/** The default database name. */
export const HEARTH_DB_NAME = 'hearth';

/** Databases opened in this realm, so that "forget me" can find them without `indexedDB.databases()`. */
const openedNames = new Set<string>([HEARTH_DB_NAME]);
const connections = new Map<string, Set<IDBPDatabase<HearthDB>>>();

/** Options for `openHearthDB`. */
export interface OpenHearthDBOptions {
  /** Open at an older schema version (migration tests only). */
  readonly version?: number;
}

/**
 * Opens (creating or migrating) a Hearth database. The connection closes itself when another
 * tab upgrades or deletes the database, so "forget me" and upgrades are never blocked for long.
 */
export async function openHearthDB(
  name: string = HEARTH_DB_NAME,
  options: OpenHearthDBOptions = {},
): Promise<IDBPDatabase<HearthDB>> {
  openedNames.add(name);
  const version = options.version ?? HEARTH_DB_VERSION;
  const db = await openDB<HearthDB>(name, version, {
    upgrade(database, oldVersion, newVersion) {
      migrate(unwrap(database), oldVersion, newVersion ?? version);
    },
    blocking() {
      db.close();
      connections.get(name)?.delete(db);
    },
  });
  const set = connections.get(name) ?? new Set();
  set.add(db);
  connections.set(name, set);
  return db;
}

/**
 * A getter of one long-lived connection that opens a new one when the last was closed because
 * another context deleted or upgraded the database ("Forget me" in another tab): without it an
 * adapter would keep a closed connection and fail every later call.
 */
export function reopeningHearthDB(
  name: string = HEARTH_DB_NAME,
): () => Promise<IDBPDatabase<HearthDB>> {
  let current: Promise<IDBPDatabase<HearthDB>> | null = null;
  return async () => {
    const db = await current?.catch(() => null);
    if (db !== undefined && db !== null && connections.get(name)?.has(db)) return db;
    current = openHearthDB(name);
    return current;
  };
}

/** Closes every connection this realm holds to a database (before deleting it). */
export function closeHearthDB(name: string = HEARTH_DB_NAME): void {
  for (const db of connections.get(name) ?? []) db.close();
  connections.delete(name);
}

/** Deletes one Hearth database ("forget me"), closing this realm's connections first. */
export async function deleteHearthDB(name: string = HEARTH_DB_NAME): Promise<void> {
  closeHearthDB(name);
  await deleteDB(name);
}

/** True for names Hearth creates: `hearth` and `hearth-*`. */
export function isHearthDatabaseName(name: string): boolean {
  return name === HEARTH_DB_NAME || name.startsWith(`${HEARTH_DB_NAME}-`);
}

/**
 * Lists every database name Hearth creates on this origin: the default, those opened in this
 * realm, and (where `indexedDB.databases()` exists) every `hearth`/`hearth-*` database found.
 */
export async function listHearthDatabases(): Promise<string[]> {
  const names = new Set(openedNames);
  const factory = globalThis.indexedDB as IDBFactory | undefined;
  if (factory && typeof factory.databases === 'function') {
    for (const info of await factory.databases()) {
      if (info.name !== undefined && isHearthDatabaseName(info.name)) names.add(info.name);
    }
  }
  return [...names].sort();
}

/** Deletes every Hearth database on this origin; returns the names deleted. */
export async function deleteAllHearthDatabases(): Promise<string[]> {
  const names = await listHearthDatabases();
  for (const name of names) await deleteHearthDB(name);
  return names;
}
