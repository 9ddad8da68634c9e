/**
 * Catalog persistence on top of the Hearth IndexedDB: generations of items, vectors keyed by
 * model version and text hash, a staging checkpoint, and an atomic pointer flip. Every write
 * runs in one transaction that is aborted on any error, so a failed write (quota included)
 * leaves the previous data intact.
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { isQuotaError, StoreQuotaError } from './errors.ts';
import type {
  CatalogPointer,
  HearthDB,
  HearthStore,
  StagingRecord,
  StoredItem,
  SyncAttemptRecord,
  VectorRecord,
} from './schema.ts';

type WriteTx = IDBPTransaction<HearthDB, HearthStore[], 'readwrite'>;

/** Runs `body` in one readwrite transaction; aborts it on error and maps quota errors. */
export async function writeTx<T>(
  db: IDBPDatabase<HearthDB>,
  stores: HearthStore[],
  body: (tx: WriteTx) => Promise<T> | T,
): Promise<T> {
  const tx = db.transaction(stores, 'readwrite');
  // Swallow the done rejection here; it is rethrown below if the body did not fail first.
  const done = tx.done.then(
    () => null,
    (error: unknown) => error ?? new Error('transaction aborted'),
  );
  let result: T;
  try {
    result = await body(tx);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborted.
    }
    await done;
    throw isQuotaError(error) ? new StoreQuotaError(error) : error;
  }
  const failure = await done;
  if (failure !== null) throw isQuotaError(failure) ? new StoreQuotaError(failure) : failure;
  return result;
}

/**
 * Collects the request promises of one transaction. Each gets a handler at once, so that the
 * requests rejected by an abort (after a synchronous throw) never surface as unhandled.
 */
class Writes {
  private readonly list: Promise<unknown>[] = [];
  add(...requests: Promise<unknown>[]): void {
    for (const request of requests) {
      request.catch(() => undefined);
      this.list.push(request);
    }
  }
  async settle(): Promise<void> {
    await Promise.all(this.list);
  }
}

/** Key range of one generation's items. */
function generationRange(gen: number): IDBKeyRange {
  return IDBKeyRange.bound([gen], [gen, []]);
}

/** The active catalog as loaded from the store. */
export interface LoadedCatalog {
  readonly pointer: CatalogPointer | null;
  readonly items: StoredItem[];
  /** Vectors of `model` found in the store, by text hash (includes staged ones). */
  readonly vectors: Map<string, Float32Array>;
}

/** A staging generation ready to receive batches. */
export interface Staging {
  readonly gen: number;
  /** Ids already written to this generation by an interrupted sync of the same body. */
  readonly storedIds: ReadonlySet<string>;
  readonly resumed: boolean;
}

/** Reads and writes the catalog part of the database. */
export class CatalogStore {
  constructor(readonly db: IDBPDatabase<HearthDB>) {}

  /** The active catalog pointer, or null before the first sync. */
  async pointer(): Promise<CatalogPointer | null> {
    const record = await this.db.get('sync', 'catalog');
    return record?.key === 'catalog' ? record : null;
  }

  /** The interrupted sync's checkpoint, if any. */
  async staging(): Promise<StagingRecord | null> {
    const record = await this.db.get('sync', 'staging');
    return record?.key === 'staging' ? record : null;
  }

  /** The last sync attempt. */
  async lastAttempt(): Promise<SyncAttemptRecord | null> {
    const record = await this.db.get('sync', 'attempt');
    return record?.key === 'attempt' ? record : null;
  }

  /** Loads the active generation's items and every stored vector of `model`. */
  async load(model: string): Promise<LoadedCatalog> {
    const tx = this.db.transaction(['sync', 'items', 'vectors'], 'readonly');
    const record = await tx.objectStore('sync').get('catalog');
    const pointer = record?.key === 'catalog' ? record : null;
    const items = pointer
      ? await tx.objectStore('items').getAll(generationRange(pointer.activeGen))
      : [];
    const rows = await tx.objectStore('vectors').index('by-model').getAll(model);
    await tx.done;
    const vectors = new Map<string, Float32Array>();
    for (const row of rows) vectors.set(row.hash, new Float32Array(row.data));
    return { pointer, items, vectors };
  }

  /**
   * Opens a staging generation for a full sync of a body with hash `sourceHash`; resumes an
   * interrupted one for the same body, otherwise discards it first.
   */
  async beginStaging(sourceHash: string, total: number, now: number): Promise<Staging> {
    const [pointer, previous] = await Promise.all([this.pointer(), this.staging()]);
    if (previous !== null && previous.sourceHash === sourceHash) {
      const keys = await this.db.getAllKeys('items', generationRange(previous.gen));
      return { gen: previous.gen, storedIds: new Set(keys.map((k) => k[1])), resumed: true };
    }
    if (previous !== null) await this.discardStaging();
    const gen = Math.max(pointer?.activeGen ?? 0, previous?.gen ?? 0) + 1;
    const record: StagingRecord = {
      key: 'staging',
      gen,
      sourceHash,
      total,
      stored: 0,
      startedAt: now,
    };
    await writeTx(this.db, ['sync'], (tx) => tx.objectStore('sync').put(record));
    return { gen, storedIds: new Set(), resumed: false };
  }

  /** Writes one batch of staged items and their new vectors, and advances the checkpoint. */
  async writeStagedBatch(
    staging: Staging,
    items: readonly StoredItem[],
    vectors: readonly VectorRecord[],
  ): Promise<void> {
    await writeTx(this.db, ['items', 'vectors', 'sync'], async (tx) => {
      const syncStore = tx.objectStore('sync');
      const current = await syncStore.get('staging');
      const itemStore = tx.objectStore('items');
      const vectorStore = tx.objectStore('vectors');
      const writes = new Writes();
      for (const v of vectors) writes.add(vectorStore.put(v));
      for (const item of items) writes.add(itemStore.put({ ...item, gen: staging.gen }));
      if (current?.key === 'staging') {
        writes.add(syncStore.put({ ...current, stored: current.stored + items.length }));
      }
      await writes.settle();
    });
  }

  /**
   * Makes the staged generation the active catalog in one transaction: flips the pointer, drops
   * the checkpoint, deletes the old generation and the vectors nothing refers to any more.
   */
  async commitStaging(
    staging: Staging,
    pointer: Omit<CatalogPointer, 'key' | 'activeGen'>,
    model: string,
    staleHashes: Iterable<string>,
  ): Promise<void> {
    const old = await this.pointer();
    await writeTx(this.db, ['items', 'vectors', 'sync'], async (tx) => {
      const writes = new Writes();
      writes.add(
        tx.objectStore('sync').put({ ...pointer, key: 'catalog', activeGen: staging.gen }),
        tx.objectStore('sync').delete('staging'),
      );
      if (old !== null && old.activeGen !== staging.gen) {
        writes.add(tx.objectStore('items').delete(generationRange(old.activeGen)));
      }
      writes.add(...this.pruneVectorWrites(tx, model, staleHashes));
      await writes.settle();
    });
  }

  /** Deletes an interrupted sync's staged items and checkpoint. */
  async discardStaging(): Promise<void> {
    const previous = await this.staging();
    if (previous === null) return;
    await writeTx(this.db, ['items', 'sync'], async (tx) => {
      await Promise.all([
        tx.objectStore('items').delete(generationRange(previous.gen)),
        tx.objectStore('sync').delete('staging'),
      ]);
    });
  }

  /**
   * Applies a delta to the active generation in one transaction: upserts, deletions, new
   * vectors, pruned vectors and the new pointer all land together or not at all.
   */
  async applyDelta(change: {
    readonly upserts: readonly StoredItem[];
    readonly deletions: readonly string[];
    readonly vectors: readonly VectorRecord[];
    readonly pointer: CatalogPointer;
    readonly model: string;
    readonly staleHashes: Iterable<string>;
  }): Promise<void> {
    const gen = change.pointer.activeGen;
    await writeTx(this.db, ['items', 'vectors', 'sync'], async (tx) => {
      const items = tx.objectStore('items');
      const vectors = tx.objectStore('vectors');
      const writes = new Writes();
      for (const v of change.vectors) writes.add(vectors.put(v));
      for (const id of change.deletions) writes.add(items.delete([gen, id]));
      for (const item of change.upserts) writes.add(items.put({ ...item, gen }));
      writes.add(tx.objectStore('sync').put(change.pointer));
      writes.add(...this.pruneVectorWrites(tx, change.model, change.staleHashes));
      await writes.settle();
    });
  }

  /** Stores vectors (e.g. after an encoder change) in one transaction and drops stale ones. */
  async putVectors(
    vectors: readonly VectorRecord[],
    model: string,
    staleHashes: Iterable<string> = [],
  ): Promise<void> {
    await writeTx(this.db, ['vectors'], async (tx) => {
      const writes = new Writes();
      for (const v of vectors) writes.add(tx.objectStore('vectors').put(v));
      writes.add(...this.pruneVectorWrites(tx, model, staleHashes));
      await writes.settle();
    });
  }

  /** Records the outcome of a sync attempt. */
  async recordAttempt(attempt: Omit<SyncAttemptRecord, 'key'>): Promise<void> {
    await writeTx(this.db, ['sync'], (tx) =>
      tx.objectStore('sync').put({ ...attempt, key: 'attempt' }),
    );
  }

  /** Deletes every catalog item, vector and sync record (keeps events, ledger, models). */
  async clear(): Promise<void> {
    await writeTx(this.db, ['items', 'vectors', 'sync'], async (tx) => {
      await Promise.all([
        tx.objectStore('items').clear(),
        tx.objectStore('vectors').clear(),
        tx.objectStore('sync').clear(),
      ]);
    });
  }

  /** Deletes the given hashes of `model` and every vector of any other model. */
  private pruneVectorWrites(
    tx: WriteTx,
    model: string,
    staleHashes: Iterable<string>,
  ): Promise<unknown>[] {
    const store = tx.objectStore('vectors');
    const writes: Promise<unknown>[] = [
      store.delete(IDBKeyRange.upperBound([model], true)),
      store.delete(IDBKeyRange.lowerBound([model, []], true)),
    ];
    for (const hash of staleHashes) writes.push(store.delete([model, hash]));
    return writes;
  }
}
