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

/** Indices of the k largest values (descending), skipping indices where `skip` returns true. */
export function topIndices(
  values: ArrayLike<number>,
  k: number,
  skip?: (index: number) => boolean,
): number[] {
  if (k <= 0) return [];
  // A small sorted buffer: k is tens to hundreds, values up to 100k.
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || (idx.length === k && v <= val[k - 1]!)) continue;
    if (skip?.(i)) continue;
    let pos = idx.length;
    while (pos > 0 && val[pos - 1]! < v) pos--;
    idx.splice(pos, 0, i);
    val.splice(pos, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return idx;
}
