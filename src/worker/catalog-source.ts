/**
 * Adapts the catalog service (same worker) to the engine's `EngineCatalogSource`: items in the
 * index's row order, their unit vectors, and the catalog's `VectorIndex` as neighbour search.
 * A snapshot is rebuilt only when the catalog replaces its index (each sync builds a new one).
 */

import type { NeighbourSearch } from '../engine/context.ts';
import type { EngineCatalogSource } from '../engine/service.ts';
import type { EngineItem } from '../engine/types.ts';
import type { CatalogItem } from '../protocol/catalog.ts';
import type { VectorIndex } from '../search/vector-index.ts';

/** What the adapter reads from the catalog service (`src/catalog/service.ts`). */
export interface CatalogServiceView {
  ready(): Promise<void>;
  getIndex(): VectorIndex;
  getItem(id: string): CatalogItem | undefined;
  modelKey(): string | null;
}

type Snapshot = Awaited<ReturnType<EngineCatalogSource['snapshot']>>;

/** A catalog item as the engine sees it (categories = category, then tags). */
export function toEngineItem(item: CatalogItem): EngineItem {
  const categories = [...(item.category ? [item.category] : []), ...item.tags];
  const text = [item.title, ...categories].join(' ').toLowerCase();
  return {
    id: item.id,
    title: item.title,
    categories,
    text,
    ...(item.updatedAt !== undefined ? { createdAt: item.updatedAt } : {}),
    available: item.available,
  };
}

/** Neighbour search over the catalog's index; rows are the index's rows (= snapshot rows). */
export function indexSearch(index: VectorIndex): NeighbourSearch {
  return {
    topK(query, k, skip) {
      const filter = skip ? { predicate: (row: number) => !skip(row) } : {};
      return index.topK(query, k, filter).map((hit) => hit.row);
    },
  };
}

/** Builds the snapshot of one index: every indexed row whose item is known, in row order. */
export function snapshotOf(
  index: VectorIndex,
  getItem: (id: string) => CatalogItem | undefined,
  version: string,
): Snapshot {
  const items: EngineItem[] = [];
  // The engine reads the index's own buffer: each catalog vector is held once in the worker.
  const shared = index.rowMajorView();
  const vectors = shared ?? new Float32Array(index.size * index.dims);
  const row = new Float32Array(index.dims);
  for (let r = 0; r < index.size; r++) {
    const id = index.idAt(r);
    const item = id === undefined ? undefined : getItem(id);
    // The index is built from the items, so every row has one; a gap would shift the rows.
    items.push(
      item
        ? toEngineItem(item)
        : { id: id ?? `#${r}`, title: '', categories: [], text: '', available: false },
    );
    if (shared === null) vectors.set(index.vectorAt(r, row), r * index.dims);
  }
  return { items, vectors, dims: index.dims, version, search: indexSearch(index) };
}

/** The engine's catalog source over the catalog service. */
export function catalogEngineSource(catalog: CatalogServiceView): EngineCatalogSource {
  let last: { index: VectorIndex; snapshot: Snapshot } | null = null;
  let generation = 0;
  return {
    async snapshot() {
      await catalog.ready();
      const index = catalog.getIndex();
      if (last === null || last.index !== index) {
        generation++;
        const version = `${catalog.modelKey() ?? 'none'}#${generation}`;
        last = { index, snapshot: snapshotOf(index, (id) => catalog.getItem(id), version) };
      }
      return last.snapshot;
    },
  };
}
