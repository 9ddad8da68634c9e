/**
 * Mean pooling over the tokens the attention mask keeps, then L2 normalisation.
 * `hidden` is batch × seq × dims row-major; `mask` is batch × seq (1 keeps a token).
 * A row whose pooled vector has zero norm stays all-zero (never NaN).
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  mask: Uint8Array,
  batch: number,
  seq: number,
  dims: number,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dims);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (mask[b * seq + t] === 0) continue;
      count++;
      const base = (b * seq + t) * dims;
      for (let d = 0; d < dims; d++) v[d] = v[d]! + hidden[base + d]!;
    }
    out.push(normalizeInPlace(count > 0 ? v : new Float32Array(dims)));
  }
  return out;
}

/** Scales a vector to unit length in place; a zero (or non-finite) vector becomes all zeros. */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) return v.fill(0);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
