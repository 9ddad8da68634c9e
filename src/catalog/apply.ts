/**
 * Applies parsed catalogs to the store and to the in-memory state: a full catalog goes through a
 * staging generation (batched writes with a checkpoint, then one pointer flip); a delta goes in
 * one transaction. Only texts without a vector for the current model are embedded.
 */

import type { CatalogItem } from '../protocol/catalog.ts';
import { VectorIndex } from '../search/vector-index.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import type { CatalogPointer, StoredItem, VectorRecord } from '../store/schema.ts';
import { embedText, textHash } from './embed-text.ts';
import { type ProgressListener, report } from './progress.ts';

/** Embeds texts into vectors of `dims` (the worker's encoder). */
export type EmbedFn = (texts: readonly string[]) => Promise<Float32Array[]>;

/** The active catalog held in memory next to the store. */
export interface CatalogState {
  readonly pointer: CatalogPointer | null;
  readonly items: ReadonlyMap<string, StoredItem>;
  /** Vectors of the current model by text hash. */
  readonly vectors: Map<string, Float32Array>;
  readonly index: VectorIndex;
}

/** What applying needs. */
export interface ApplyContext {
  readonly store: CatalogStore;
  readonly embed: EmbedFn;
  /** Key of the current encoder (`id@version`); vectors are stored under it. */
  readonly model: string;
  readonly dims: number;
  readonly now: () => number;
  readonly batchSize: number;
  readonly onProgress?: ProgressListener;
}

/** Where a catalog came from. */
export interface CatalogSource {
  readonly version: string | null;
  /** The client's own content hash of the catalog after this apply (`content-hash.ts`). */
  readonly contentHash: string | null;
  readonly url: string | null;
  readonly sourceHash: string | null;
}

/** Builds the search index over the items that have a vector. */
export function buildIndex(
  items: Iterable<StoredItem>,
  vectors: Map<string, Float32Array>,
  dims: number,
): VectorIndex {
  const rows = [];
  const hashes: string[] = [];
  for (const item of items) {
    const vector = vectors.get(item.textHash);
    if (vector !== undefined) {
      rows.push({ id: item.id, vector, category: item.category, available: item.available });
      hashes.push(item.textHash);
    }
  }
  const index = VectorIndex.build(rows, { dims });
  // Hold each vector once: the map's entries become views of the index's buffer (the index
  // normalised them; encoder vectors are unit already), and the engine reads the same buffer.
  hashes.forEach((hash, row) => {
    const view = index.rowView(row);
    if (view !== null) vectors.set(hash, view);
  });
  return index;
}

/** Hashes an item's embedded text and attaches its generation. */
function toStored(item: CatalogItem, gen: number): StoredItem {
  return { ...item, gen, textHash: textHash(embedText(item)) };
}

/** Embeds the texts of `items` whose hash has no vector yet; returns records for the new ones. */
async function embedMissing(
  ctx: ApplyContext,
  items: readonly StoredItem[],
  vectors: ReadonlyMap<string, Float32Array>,
): Promise<VectorRecord[]> {
  const texts: string[] = [];
  const hashes: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (vectors.has(item.textHash) || seen.has(item.textHash)) continue;
    seen.add(item.textHash);
    texts.push(embedText(item));
    hashes.push(item.textHash);
  }
  if (texts.length === 0) return [];
  const out = await ctx.embed(texts);
  return out.map((v, i) => {
    if (v.length !== ctx.dims)
      throw new Error(`Encoder returned ${v.length} dims, expected ${ctx.dims}.`);
    const data = new Float32Array(v).buffer;
    return { model: ctx.model, hash: hashes[i]!, dims: ctx.dims, data };
  });
}

/** Hashes of `vectors` not referenced by any item. */
function unreferenced(
  vectors: ReadonlyMap<string, Float32Array>,
  items: Iterable<StoredItem>,
): Set<string> {
  const stale = new Set(vectors.keys());
  for (const item of items) stale.delete(item.textHash);
  return stale;
}

/**
 * Applies a full catalog: writes it into a staging generation in batches (resuming an
 * interrupted sync of the same body), then flips the pointer. The previous catalog stays
 * active until the flip; a failure leaves it untouched.
 */
export async function applyFull(
  ctx: ApplyContext,
  state: CatalogState,
  items: readonly CatalogItem[],
  source: CatalogSource,
): Promise<{ state: CatalogState; embedded: number; resumed: boolean }> {
  const staging = await ctx.store.beginStaging(
    source.sourceHash ?? 'local',
    items.length,
    ctx.now(),
  );
  const vectors = new Map(state.vectors);
  const stored = items.map((item) => toStored(item, staging.gen));
  const progress = {
    phase: 'embed' as const,
    total: items.length,
    parsed: items.length,
    embedded: 0,
    stored: 0,
  };
  let embedded = 0;
  for (let start = 0; start < stored.length; start += ctx.batchSize) {
    const batch = stored
      .slice(start, start + ctx.batchSize)
      .filter((item) => !(staging.storedIds.has(item.id) && vectors.has(item.textHash)));
    const fresh = await embedMissing(ctx, batch, vectors);
    embedded += fresh.length;
    report(ctx.onProgress, { ...progress, phase: 'embed', embedded, stored: start });
    if (batch.length > 0) await ctx.store.writeStagedBatch(staging, batch, fresh);
    for (const record of fresh) vectors.set(record.hash, new Float32Array(record.data));
    report(ctx.onProgress, {
      ...progress,
      phase: 'store',
      embedded,
      stored: Math.min(start + ctx.batchSize, stored.length),
    });
  }
  const pointer: CatalogPointer = {
    key: 'catalog',
    activeGen: staging.gen,
    version: source.version,
    contentHash: source.contentHash,
    url: source.url,
    sourceHash: source.sourceHash,
    count: stored.length,
    appliedAt: ctx.now(),
  };
  const byId = new Map(stored.map((item) => [item.id, item]));
  const stale = unreferenced(vectors, byId.values());
  await ctx.store.commitStaging(staging, pointer, ctx.model, stale);
  for (const hash of stale) vectors.delete(hash);
  const next: CatalogState = {
    pointer,
    items: byId,
    vectors,
    index: buildIndex(byId.values(), vectors, ctx.dims),
  };
  return { state: next, embedded, resumed: staging.resumed };
}

/** Applies a delta (upserts and deletions) to the active catalog in one transaction. */
export async function applyDelta(
  ctx: ApplyContext,
  state: CatalogState,
  upserts: readonly CatalogItem[],
  deletions: readonly string[],
  source: CatalogSource,
): Promise<{ state: CatalogState; embedded: number }> {
  const current = state.pointer;
  if (current === null)
    throw new Error('A catalog delta needs a base catalog; sync the full catalog first.');
  const stored = upserts.map((item) => toStored(item, current.activeGen));
  const fresh = await embedMissing(ctx, stored, state.vectors);
  const items = new Map(state.items);
  for (const id of deletions) items.delete(id);
  for (const item of stored) items.set(item.id, item);
  const vectors = new Map(state.vectors);
  for (const record of fresh) vectors.set(record.hash, new Float32Array(record.data));
  const stale = unreferenced(vectors, items.values());
  // Built field by field: a pointer stored before v4 carries a server ETag that must not survive.
  const pointer: CatalogPointer = {
    key: 'catalog',
    activeGen: current.activeGen,
    version: source.version,
    contentHash: source.contentHash,
    url: source.url ?? current.url,
    // The catalog is no longer the last full body: a later identical full body must be applied.
    sourceHash: source.sourceHash,
    count: items.size,
    appliedAt: ctx.now(),
  };
  await ctx.store.applyDelta({
    upserts: stored,
    deletions,
    vectors: fresh,
    pointer,
    model: ctx.model,
    staleHashes: stale,
  });
  for (const hash of stale) vectors.delete(hash);
  return {
    state: { pointer, items, vectors, index: buildIndex(items.values(), vectors, ctx.dims) },
    embedded: fresh.length,
  };
}

/**
 * Embeds every active item that has no vector for the current model (first start, or after an
 * encoder version change), in batches, and drops vectors of other models.
 */
export async function ensureVectors(
  ctx: ApplyContext,
  state: CatalogState,
): Promise<{ state: CatalogState; embedded: number }> {
  const items = [...state.items.values()];
  const vectors = new Map(state.vectors);
  const missing = items.filter((item) => !vectors.has(item.textHash));
  let embedded = 0;
  for (let start = 0; start < missing.length; start += ctx.batchSize) {
    const fresh = await embedMissing(ctx, missing.slice(start, start + ctx.batchSize), vectors);
    await ctx.store.putVectors(fresh, ctx.model);
    for (const record of fresh) vectors.set(record.hash, new Float32Array(record.data));
    embedded += fresh.length;
    report(ctx.onProgress, {
      phase: 'embed',
      total: missing.length,
      parsed: missing.length,
      embedded,
      stored: embedded,
    });
  }
  if (embedded === 0 && state.index.size === items.length) return { state, embedded };
  return { state: { ...state, vectors, index: buildIndex(items, vectors, ctx.dims) }, embedded };
}
