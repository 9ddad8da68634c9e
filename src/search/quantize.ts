/** Vector maths for the index: L2 normalisation and symmetric int8 quantisation with a per-row scale. */

/** Returns the L2 norm of `v`. */
export function l2norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    s += x * x;
  }
  return Math.sqrt(s);
}

/** Writes `v / |v|` into `out` (zeros for a zero or non-finite vector); returns `out`. */
export function normalizeInto(v: ArrayLike<number>, out: Float32Array, offset = 0): Float32Array {
  const norm = l2norm(v);
  const ok = norm > 0 && Number.isFinite(norm);
  for (let i = 0; i < v.length; i++) out[offset + i] = ok ? (v[i] ?? 0) / norm : 0;
  return out;
}

/**
 * Quantises `v` to int8 at `out[offset..]` with scale = max|v| / 127 (so `v ≈ q · scale`);
 * returns the scale (0 for a zero vector).
 */
export function quantizeInto(v: ArrayLike<number>, out: Int8Array, offset = 0): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i] ?? 0));
  if (!(max > 0) || !Number.isFinite(max)) {
    out.fill(0, offset, offset + v.length);
    return 0;
  }
  const scale = max / 127;
  for (let i = 0; i < v.length; i++) out[offset + i] = Math.round((v[i] ?? 0) / scale);
  return scale;
}
