/**
 * Blockwise int8 quantisation of updates: one float32 scale (max|x|/127) per block, values
 * rounded to the nearest step, so each value moves by at most half a step and zeros stay zero.
 * Scalar quantisation with a per-block scale as in Suresh et al. 2017, "Distributed Mean
 * Estimation with Limited Communication" (ICML), §3 — but rounded to nearest instead of
 * stochastically: measured at z = 0 on ml-latest-small (docs/server.md), stochastic rounding's
 * unbiased ±step noise on near-zero coordinates became full-size FedAdam steps and cost ~6% NDCG,
 * nearest rounding costs < 1%. Applied after clipping and noise: post-processing, no privacy cost.
 */
/** Values per block sharing one scale: 32 = one row of the 32-dim collab model. */
export const Q8_BLOCK = 32;

/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** Byte length of a q8 payload for `length` values: float32 scales then int8 values. */
export function q8ByteLength(length: number): number {
  return Math.ceil(length / Q8_BLOCK) * 4 + length;
}

/** Encodes a vector as q8 bytes (scales first, then one signed byte per value). */
export function encodeQ8(values: Float32Array): Uint8Array {
  const blocks = Math.ceil(values.length / Q8_BLOCK);
  const out = new Uint8Array(q8ByteLength(values.length));
  const view = new DataView(out.buffer);
  const codes = new Int8Array(out.buffer, blocks * 4, values.length);
  for (let b = 0; b < blocks; b++) {
    const start = b * Q8_BLOCK;
    const end = Math.min(values.length, start + Q8_BLOCK);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i] ?? 0));
    let scale = Math.fround(max / 127);
    // Near the top of the float32 range the rounded scale can make 127·scale overflow to
    // Infinity on decode: step it down (to at most max/127) so every code decodes finitely.
    if (127 * scale > F32_MAX) scale = Math.fround(scale * (1 - 2 ** -23));
    view.setFloat32(b * 4, scale, true);
    if (scale === 0) continue;
    for (let i = start; i < end; i++) {
      codes[i] = Math.round((values[i] ?? 0) / scale);
    }
  }
  return out;
}

/** Decodes q8 bytes into a Float32Array of `length` values. */
export function decodeQ8(bytes: Uint8Array, length: number): Float32Array {
  const blocks = Math.ceil(length / Q8_BLOCK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codes = new Int8Array(bytes.buffer, bytes.byteOffset + blocks * 4, length);
  const out = new Float32Array(length);
  for (let b = 0; b < blocks; b++) {
    const scale = view.getFloat32(b * 4, true);
    const end = Math.min(length, (b + 1) * Q8_BLOCK);
    for (let i = b * Q8_BLOCK; i < end; i++) out[i] = (codes[i] ?? 0) * scale;
  }
  return out;
}

/**
 * L2 norm of a q8 payload without decoding it: Σ_blocks scale² · Σ code². `finite` is false when
 * a scale is NaN or ±Infinity (the only way a q8 payload can carry a non-finite value).
 */
export function q8Norm(bytes: Uint8Array, length: number): { finite: boolean; norm: number } {
  const blocks = Math.ceil(length / Q8_BLOCK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codes = new Int8Array(bytes.buffer, bytes.byteOffset + blocks * 4, length);
  let sum = 0;
  for (let b = 0; b < blocks; b++) {
    const scale = view.getFloat32(b * 4, true);
    if (!Number.isFinite(scale)) return { finite: false, norm: Number.NaN };
    let block = 0;
    const end = Math.min(length, (b + 1) * Q8_BLOCK);
    for (let i = b * Q8_BLOCK; i < end; i++) {
      const c = codes[i] ?? 0;
      block += c * c;
    }
    sum += scale * scale * block;
  }
  return { finite: true, norm: Math.sqrt(sum) };
}
