/**
 * Exact top-k search by dot product over pre-normalised vectors held in one contiguous buffer
 * (Float32Array, or Int8Array with a per-row scale). Knows nothing about what a vector means.
 * `topK` allocates only its k results: the heap and the filter masks are reused between calls.
 */
import type { IndexFilter, SearchHit } from './filter.ts';
import { l2norm, normalizeInto, quantizeInto } from './quantize.ts';
import { createDotKernel, type DotKernel } from './simd-dots.ts';

/** Storage precision of an index. */
export type VectorKind = 'f32' | 'i8';

/** One row to index. */
export interface IndexRow {
  readonly id: string;
  readonly vector: ArrayLike<number>;
  readonly category?: string;
  readonly available?: boolean;
}

/** The dimensionality of a query or row does not match the index. */
export class IndexDimensionError extends Error {
  override readonly name = 'IndexDimensionError';
}

export class VectorIndex {
  readonly kind: VectorKind;
  readonly dims: number;
  readonly size: number;
  private readonly ids: readonly string[];
  private readonly rowById: Map<string, number>;
  /** Floats per f32 row: dims rounded up to a multiple of 4 (zero padding) for the SIMD kernel. */
  private readonly stride: number;
  private readonly f32: Float32Array | null;
  /** WebAssembly SIMD scorer over `f32` (which then lives in its memory); null: JavaScript loop. */
  private readonly kernel: DotKernel | null;
  private readonly i8: Int8Array | null;
  private readonly scales: Float32Array | null;
  private readonly categoryOf: Int32Array;
  private readonly categoryNames: readonly string[];
  private readonly categoryCode: Map<string, number>;
  private readonly available: Uint8Array;
  // Scratch space reused by topK (single-threaded, synchronous: safe to share between calls).
  private heapScores = new Float64Array(32);
  private heapRows = new Int32Array(32);
  private readonly excluded: Uint8Array;
  private readonly allowedCategory: Uint8Array;

  private constructor(kind: VectorKind, dims: number, rows: readonly IndexRow[], simd: boolean) {
    this.kind = kind;
    this.dims = dims;
    this.size = rows.length;
    this.ids = rows.map((r) => r.id);
    this.rowById = new Map(this.ids.map((id, row) => [id, row]));
    this.stride = kind === 'f32' ? Math.ceil(dims / 4) * 4 : dims;
    this.kernel =
      kind === 'f32' && simd && rows.length > 0 ? createDotKernel(rows.length, this.stride) : null;
    this.f32 =
      kind === 'f32' ? (this.kernel?.data ?? new Float32Array(rows.length * this.stride)) : null;
    this.i8 = kind === 'i8' ? new Int8Array(rows.length * dims) : null;
    this.scales = kind === 'i8' ? new Float32Array(rows.length) : null;
    this.categoryOf = new Int32Array(rows.length).fill(-1);
    this.categoryCode = new Map();
    this.available = new Uint8Array(rows.length);
    const unit = new Float32Array(dims);
    rows.forEach((r, row) => {
      if (r.vector.length !== dims) {
        throw new IndexDimensionError(
          `Row ${row} (id ${r.id}) has ${r.vector.length} dims; the index has ${dims}.`,
        );
      }
      normalizeInto(r.vector, unit);
      if (this.f32) this.f32.set(unit, row * this.stride);
      if (this.i8 && this.scales) this.scales[row] = quantizeInto(unit, this.i8, row * dims);
      if (r.category !== undefined) {
        let code = this.categoryCode.get(r.category);
        if (code === undefined) {
          code = this.categoryCode.size;
          this.categoryCode.set(r.category, code);
        }
        this.categoryOf[row] = code;
      }
      this.available[row] = r.available === false ? 0 : 1;
    });
    this.categoryNames = [...this.categoryCode.keys()];
    this.excluded = new Uint8Array(rows.length);
    this.allowedCategory = new Uint8Array(this.categoryCode.size);
  }

  /**
   * Builds an index; vectors are L2-normalised on the way in (zero vectors stay zero). f32
   * indexes score with WebAssembly SIMD where available unless `simd: false`.
   */
  static build(
    rows: readonly IndexRow[],
    options: { dims: number; kind?: VectorKind; simd?: boolean },
  ): VectorIndex {
    return new VectorIndex(options.kind ?? 'f32', options.dims, rows, options.simd ?? true);
  }

  /** True when this index scores rows with the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.kernel !== null;
  }

  /** The id stored at a row. */
  idAt(row: number): string | undefined {
    return this.ids[row];
  }

  /** The row of an id. */
  rowOf(id: string): number | undefined {
    return this.rowById.get(id);
  }

  /** The category of a row. */
  categoryAt(row: number): string | undefined {
    const code = this.categoryOf[row] ?? -1;
    return code < 0 ? undefined : this.categoryNames[code];
  }

  /** Whether a row is available. */
  isAvailable(row: number): boolean {
    return this.available[row] === 1;
  }

  /** Copies a row's unit vector (dequantised for int8) into `out` and returns it. */
  vectorAt(row: number, out: Float32Array = new Float32Array(this.dims)): Float32Array {
    const base = row * this.stride;
    if (this.f32) out.set(this.f32.subarray(base, base + this.dims));
    else if (this.i8 && this.scales) {
      const s = this.scales[row] ?? 0;
      for (let j = 0; j < this.dims; j++) out[j] = (this.i8[base + j] ?? 0) * s;
    }
    return out;
  }

  /**
   * A row's unit vector as a view of the index's own buffer (no copy), for f32 indexes; null for
   * int8. Views stay valid for the index's life: its buffer never grows or moves.
   */
  rowView(row: number): Float32Array | null {
    if (!this.f32 || row < 0 || row >= this.size) return null;
    return this.f32.subarray(row * this.stride, row * this.stride + this.dims);
  }

  /**
   * Every row's unit vector, row-major `size × dims`, as a view of the index's buffer when it
   * has no padding (f32 and dims a multiple of 4); null otherwise (callers copy with vectorAt).
   */
  rowMajorView(): Float32Array | null {
    if (!this.f32 || this.stride !== this.dims) return null;
    return this.f32.subarray(0, this.size * this.dims);
  }

  /** Bytes held by the vector buffer(s). */
  get byteLength(): number {
    return (
      (this.f32?.byteLength ?? 0) + (this.i8?.byteLength ?? 0) + (this.scales?.byteLength ?? 0)
    );
  }

  /**
   * Returns the k rows with the highest cosine similarity to `query` that pass `filter`, best
   * first (ties: lower row first). Exact. A zero query, k ≤ 0 or an empty index return no hits.
   */
  topK(query: ArrayLike<number>, k: number, filter: IndexFilter = {}): SearchHit[] {
    // An empty index (e.g. before the catalog has loaded) answers any query with nothing.
    if (this.size === 0 || k <= 0) return [];
    if (query.length !== this.dims) {
      throw new IndexDimensionError(`Query has ${query.length} dims; the index has ${this.dims}.`);
    }
    const norm = l2norm(query);
    if (!(norm > 0) || !Number.isFinite(norm)) return [];
    if (this.heapScores.length < k) {
      this.heapScores = new Float64Array(k);
      this.heapRows = new Int32Array(k);
    }
    const excludedRows = this.markExcluded(filter.excludeIds);
    const categoryFilter = this.markCategories(filter.category);
    try {
      const count = this.scan(query, k, filter, categoryFilter);
      return this.drain(count, 1 / norm);
    } finally {
      for (const row of excludedRows) this.excluded[row] = 0;
      this.allowedCategory.fill(0);
    }
  }

  private markExcluded(ids: Iterable<string> | undefined): number[] {
    const rows: number[] = [];
    if (ids === undefined) return rows;
    for (const id of ids) {
      const row = this.rowById.get(id);
      if (row !== undefined) {
        this.excluded[row] = 1;
        rows.push(row);
      }
    }
    return rows;
  }

  /** Returns false when there is no category filter; true when `allowedCategory` is set. */
  private markCategories(category: IndexFilter['category']): boolean {
    if (category === undefined) return false;
    const names = typeof category === 'string' ? [category] : category;
    for (const name of names) {
      const code = this.categoryCode.get(name);
      if (code !== undefined) this.allowedCategory[code] = 1;
    }
    return true;
  }

  /** Scans every row, keeping a min-heap of the k best; returns how many the heap holds. */
  private scan(
    query: ArrayLike<number>,
    k: number,
    filter: IndexFilter,
    byCategory: boolean,
  ): number {
    const { dims, stride, f32, i8, scales, kernel } = this;
    const { excluded, available, categoryOf, allowedCategory } = this;
    const hs = this.heapScores;
    const hr = this.heapRows;
    const availableOnly = filter.availableOnly === true;
    const predicate = filter.predicate;
    const q = query instanceof Float32Array || kernel !== null ? query : Float32Array.from(query);
    let scored: Float32Array | null = null;
    if (kernel !== null) {
      // Score every row at once in WebAssembly SIMD; the loop below only filters and selects.
      for (let j = 0; j < dims; j++) kernel.query[j] = query[j]!;
      kernel.run();
      scored = kernel.scores;
    }
    const d4 = dims - (dims % 4);
    let count = 0;
    for (let row = 0, base = 0; row < this.size; row++, base += stride) {
      if (excluded[row] === 1) continue;
      if (availableOnly && available[row] === 0) continue;
      if (byCategory) {
        const code = categoryOf[row] ?? -1;
        if (code < 0 || allowedCategory[code] === 0) continue;
      }
      let s = 0;
      if (scored !== null) s = scored[row]!;
      else if (f32 !== null) {
        let j = 0;
        for (; j < d4; j += 4) {
          s +=
            f32[base + j]! * q[j]! +
            f32[base + j + 1]! * q[j + 1]! +
            f32[base + j + 2]! * q[j + 2]! +
            f32[base + j + 3]! * q[j + 3]!;
        }
        for (; j < dims; j++) s += f32[base + j]! * q[j]!;
      } else if (i8 !== null && scales !== null) {
        let j = 0;
        for (; j < d4; j += 4) {
          s +=
            i8[base + j]! * q[j]! +
            i8[base + j + 1]! * q[j + 1]! +
            i8[base + j + 2]! * q[j + 2]! +
            i8[base + j + 3]! * q[j + 3]!;
        }
        for (; j < dims; j++) s += i8[base + j]! * q[j]!;
        s *= scales[row]!;
      }
      if (count === k && !(s > hs[0]! || (s === hs[0]! && row < hr[0]!))) continue;
      if (predicate !== undefined && !predicate(row)) continue;
      if (count < k) {
        siftUp(hs, hr, count, s, row);
        count++;
      } else {
        siftDown(hs, hr, count, s, row);
      }
    }
    return count;
  }

  /** Empties the heap into hits sorted best first. */
  private drain(count: number, invNorm: number): SearchHit[] {
    const hits = new Array<SearchHit>(count);
    const hs = this.heapScores;
    const hr = this.heapRows;
    for (let n = count; n > 0; n--) {
      const score = hs[0]!;
      const row = hr[0]!;
      hits[n - 1] = { id: this.ids[row]!, row, score: score * invNorm };
      const lastScore = hs[n - 1]!;
      const lastRow = hr[n - 1]!;
      siftDown(hs, hr, n - 1, lastScore, lastRow);
    }
    return hits;
  }
}

/** True when (sa, ra) ranks below (sb, rb): lower score, or equal score and higher row. */
function worse(sa: number, ra: number, sb: number, rb: number): boolean {
  return sa < sb || (sa === sb && ra > rb);
}

/** Inserts (s, r) into a min-heap of `size` entries (worst at the root). */
function siftUp(hs: Float64Array, hr: Int32Array, size: number, s: number, r: number): void {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(s, r, hs[parent]!, hr[parent]!)) break;
    hs[i] = hs[parent]!;
    hr[i] = hr[parent]!;
    i = parent;
  }
  hs[i] = s;
  hr[i] = r;
}

/** Replaces the root of a min-heap of `size` entries with (s, r) and restores the heap. */
function siftDown(hs: Float64Array, hr: Int32Array, size: number, s: number, r: number): void {
  if (size === 0) return;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    let child = left;
    if (right < size && worse(hs[right]!, hr[right]!, hs[left]!, hr[left]!)) child = right;
    if (!worse(hs[child]!, hr[child]!, s, r)) break;
    hs[i] = hs[child]!;
    hr[i] = hr[child]!;
    i = child;
  }
  hs[i] = s;
  hr[i] = r;
}
