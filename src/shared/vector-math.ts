/** Small dense-vector helpers used across the engine. */

/** Dot product of two equally long vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Returns an L2-normalised copy, or null for a zero (or empty) vector. */
export function normalized(v: Float32Array): Float32Array | null {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n === 0 || !Number.isFinite(n)) return null;
  const out = new Float32Array(v.length);
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/** Dot product of `query` with row `row` of a row-major matrix. */
export function dotRow(
  matrix: Float32Array,
  dims: number,
  row: number,
  query: Float32Array,
): number {
  let s = 0;
  const base = row * dims;
  for (let k = 0; k < dims; k++) s += matrix[base + k]! * query[k]!;
  return s;
}

/**
 * Indices of the k largest values (descending; ties: lower index first), skipping NaN and indices
 * where `skip` returns true. A size-k min-heap: O(n log k) even when values arrive in ascending
 * order (e.g. freshness of items listed oldest first).
 */
export function topIndices(
  values: ArrayLike<number>,
  k: number,
  skip?: (index: number) => boolean,
): number[] {
  if (k <= 0) return [];
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  let size = 0;
  // Min-heap order: smaller value first; on equal values the larger index is "smaller" (evicted first).
  const less = (a: number, b: number) =>
    heapVal[a]! < heapVal[b]! || (heapVal[a] === heapVal[b] && heapIdx[a]! > heapIdx[b]!);
  const swap = (a: number, b: number) => {
    const i = heapIdx[a]!;
    heapIdx[a] = heapIdx[b]!;
    heapIdx[b] = i;
    const v = heapVal[a]!;
    heapVal[a] = heapVal[b]!;
    heapVal[b] = v;
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || (size === k && v <= heapVal[0]!)) continue;
    if (skip?.(i)) continue;
    let pos: number;
    if (size < k) {
      pos = size++;
      heapIdx[pos] = i;
      heapVal[pos] = v;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!less(pos, parent)) break;
        swap(pos, parent);
        pos = parent;
      }
    } else {
      heapIdx[0] = i;
      heapVal[0] = v;
      pos = 0;
      for (;;) {
        const l = 2 * pos + 1;
        const r = l + 1;
        let m = pos;
        if (l < size && less(l, m)) m = l;
        if (r < size && less(r, m)) m = r;
        if (m === pos) break;
        swap(pos, m);
        pos = m;
      }
    }
  }
  const order = Array.from({ length: size }, (_, j) => j);
  order.sort((a, b) => heapVal[b]! - heapVal[a]! || heapIdx[a]! - heapIdx[b]!);
  return order.map((j) => heapIdx[j]!);
}
