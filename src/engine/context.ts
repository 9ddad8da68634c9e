/**
 * The engine's view of the catalog: items in row order, their unit vectors, the collaborative
 * model aligned to those rows, and the popularity prior. Built once per catalog/model version.
 */

import { dotRow, topIndices } from '../shared/vector-math.ts';
import type { CollabModel } from './collab-model.ts';
import type { CategoryRows, CooccurrenceModel } from './cooccurrence-model.ts';
import type { SequenceModel } from './sequence-model.ts';
import type { EngineItem } from './types.ts';

/** Semantic search over the item vectors; the catalog's `VectorIndex` can stand behind it. */
export interface NeighbourSearch {
  /** Rows of the k items most similar to `query` (cosine), skipping rows where `skip` is true. */
  topK(query: Float32Array, k: number, skip?: (row: number) => boolean): number[];
}

/** Everything the pure engine functions read. */
export interface EngineContext {
  readonly items: readonly EngineItem[];
  readonly rowOf: ReadonlyMap<string, number>;
  readonly dims: number;
  /** n × dims, L2-normalised (zero rows for items without text). */
  readonly vectors: Float32Array;
  readonly search: NeighbourSearch;
  readonly collab: CollabModel | null;
  /** Context row → collab row, -1 when the model does not know the item (cold). */
  readonly collabRow: Int32Array;
  /** The sparse item-item ("what people took next") model, or null. */
  readonly sequence: SequenceModel | null;
  /** Context row → sequence-model row, -1 when the model does not know the item. */
  readonly sequenceRow: Int32Array;
  /** The private item-item model (learned from DP releases), or null. */
  readonly cooccurrence: CooccurrenceModel | null;
  /** Context row → private-model row, -1 when the model does not know the item. */
  readonly cooccurrenceRow: Int32Array;
  /** The catalog's categories per private-model row (its category kernel reads them), or null. */
  readonly cooccurrenceCategories: CategoryRows | null;
  /** Popularity prior in [0, 1] per row (log-scaled counts). */
  readonly popularity: Float32Array;
  /**
   * 1 for a cold item: no interaction history in any global model nor in the popularity prior
   * (a new item). All 0 when the engine has no history signal at all (nothing to compare with).
   */
  readonly cold: Uint8Array;
  /** Number of cold rows. */
  readonly coldCount: number;
  /** The cold rows, ascending (scanned directly for the cold candidate quota). */
  readonly coldRows: Int32Array;
  /** Rows with `createdAt`, newest first (ties: lower row first): the fresh candidates' order. */
  readonly newestFirst: Int32Array;
}

/** Inputs to `createEngineContext`. */
export interface EngineContextInput {
  readonly items: readonly EngineItem[];
  /** One unit vector per item, row-major n × dims. */
  readonly vectors: Float32Array;
  readonly dims: number;
  readonly collab?: CollabModel | null;
  readonly sequence?: SequenceModel | null;
  /**
   * The private item-item model; when `popularity` is not given, its denoised released
   * popularity is the prior (the same DP release, post-processed).
   */
  readonly cooccurrence?: CooccurrenceModel | null;
  /** Item id → count (or any non-negative estimate, e.g. from DP telemetry). */
  readonly popularity?: ReadonlyMap<string, number>;
  /** Overrides brute-force search (e.g. with the catalog's VectorIndex). */
  readonly search?: NeighbourSearch;
}

/** Exact cosine search by scanning every row; fine up to ~100k items. */
export function bruteForceSearch(vectors: Float32Array, dims: number): NeighbourSearch {
  const n = dims === 0 ? 0 : vectors.length / dims;
  const scores = new Float32Array(n);
  return {
    topK(query, k, skip) {
      for (let i = 0; i < n; i++) scores[i] = dotRow(vectors, dims, i, query);
      return topIndices(scores, k, skip);
    },
  };
}

/** Builds the context; pure apart from allocating arrays. */
export function createEngineContext(input: EngineContextInput): EngineContext {
  const { items, vectors, dims } = input;
  const rowOf = new Map(items.map((item, row) => [item.id, row]));
  const collab = input.collab ?? null;
  const collabRow = rowMap(items, collab?.itemIds);
  const sequence = input.sequence ?? null;
  const sequenceRow = rowMap(items, sequence?.itemIds);
  const cooccurrence = input.cooccurrence ?? null;
  const cooccurrenceRow = rowMap(items, cooccurrence?.itemIds);
  const counts = input.popularity ?? (cooccurrence ? modelPopularity(cooccurrence) : undefined);
  const popularity = new Float32Array(items.length);
  if (counts) {
    let max = 0;
    for (const v of counts.values()) max = Math.max(max, v);
    if (max > 0) {
      items.forEach((item, row) => {
        const count = Math.max(0, counts.get(item.id) ?? 0);
        popularity[row] = Math.log1p(count) / Math.log1p(max);
      });
    }
  }
  const cold = new Uint8Array(items.length);
  let coldCount = 0;
  const hasHistory =
    collab !== null || sequence !== null || cooccurrence !== null || (counts?.size ?? 0) > 0;
  if (hasHistory) {
    for (let row = 0; row < items.length; row++) {
      if (
        collabRow[row]! < 0 &&
        sequenceRow[row]! < 0 &&
        cooccurrenceRow[row]! < 0 &&
        popularity[row] === 0
      ) {
        cold[row] = 1;
        coldCount++;
      }
    }
  }
  return {
    items,
    rowOf,
    dims,
    vectors,
    search: input.search ?? bruteForceSearch(vectors, dims),
    collab,
    collabRow,
    sequence,
    sequenceRow,
    cooccurrence,
    cooccurrenceRow,
    cooccurrenceCategories:
      cooccurrence?.kernel.kind === 'category'
        ? categoryRows(items, cooccurrence, cooccurrenceRow)
        : null,
    popularity,
    cold,
    coldCount,
    coldRows: Int32Array.from(cold.keys()).filter((row) => cold[row] === 1),
    newestFirst: newestFirst(items),
  };
}

function newestFirst(items: readonly EngineItem[]): Int32Array {
  const rows = Int32Array.from(items.keys()).filter((row) => items[row]!.createdAt !== undefined);
  const at = (row: number) => items[row]!.createdAt ?? 0;
  return rows.sort((a, b) => at(b) - at(a) || a - b);
}

function modelPopularity(model: CooccurrenceModel): Map<string, number> {
  return new Map(model.itemIds.map((id, row) => [id, model.popularity[row]!]));
}

/** The catalog's categories of each private-model row (rows the catalog lacks have none). */
function categoryRows(
  items: readonly EngineItem[],
  model: CooccurrenceModel,
  modelRow: Int32Array,
): CategoryRows {
  const byModelRow: (readonly string[])[] = Array.from({ length: model.itemIds.length }, () => []);
  modelRow.forEach((m, row) => {
    if (m >= 0) byModelRow[m] = items[row]!.categories.filter((c) => c !== '');
  });
  const index = new Map<string, number>();
  const offsets = new Uint32Array(byModelRow.length + 1);
  const ids: number[] = [];
  byModelRow.forEach((names, m) => {
    for (const name of new Set(names)) {
      let id = index.get(name);
      if (id === undefined) {
        id = index.size;
        index.set(name, id);
      }
      ids.push(id);
    }
    offsets[m + 1] = ids.length;
  });
  return { offsets, ids: Uint32Array.from(ids), count: index.size };
}

function rowMap(items: readonly EngineItem[], ids: readonly string[] | undefined): Int32Array {
  const out = new Int32Array(items.length).fill(-1);
  if (!ids) return out;
  const byId = new Map(ids.map((id, row) => [id, row]));
  items.forEach((item, row) => {
    out[row] = byId.get(item.id) ?? -1;
  });
  return out;
}

/** Row `row`'s vector as a view (no copy). */
export function itemVector(context: EngineContext, row: number): Float32Array {
  return context.vectors.subarray(row * context.dims, (row + 1) * context.dims);
}
