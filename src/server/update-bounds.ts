/**
 * What an honest federated update can look like, and the two tests every update must pass.
 *
 * An honest client sends x = s + n (src/federated/privatize.ts): its signal s clipped to
 * ‖s‖₂ ≤ C, plus Gaussian noise n ~ N(0, σ²·I_D) with σ = zC, optionally rounded to q8
 * (src/wire/quantize.ts). The server accepts an update only when
 *
 * - every coordinate |x_i| ≤ B∞ = (C + σ·t∞)·(1 + ε_f), and
 * - its norm ‖x‖₂ ≤ B₂ = (C + σ·r)·(1 + √32/254)·(1 + ε_f),
 *
 * where t∞ and r are chosen so that an honest update fails either test with probability at
 * most β = 10⁻⁶ (β/2 each, union bound), and ε_f = 10⁻⁶ covers float32 rounding:
 *
 * - Per coordinate: |x_i| ≤ |s_i| + |n_i| ≤ C + |n_i|, and by the union bound over D
 *   coordinates and two signs, P(max_i |n_i| > σt) ≤ 2D·Φ̄(t) ≤ 2D·φ(t)/t (Mills' ratio, tight
 *   to a factor 1 + 1/t² ≈ 1.04 here). t∞ is the root of 2D·φ(t)/t = β/2. q8 rounding never
 *   raises the largest coordinate of a block: the largest code is 127 and 127·(max/127) = max.
 * - Norm: ‖x‖ ≤ ‖s‖ + ‖n‖ ≤ C + ‖n‖, and ‖n‖²/σ² ~ χ²_D with Laurent & Massart's bound
 *   (2000, "Adaptive estimation of a quadratic functional by model selection", Ann. Statist.,
 *   Lemma 1): P(χ²_D ≥ D + 2√(Dx) + 2x) ≤ e^(−x). With x = ln(2/β), r = √(D + 2√(Dx) + 2x).
 *   q8 moves each value by at most half a step, max_b/254, so the rounding error of a block of
 *   ≤ 32 values is ≤ √32·max_b/254 ≤ √32·‖x_b‖/254 and ‖Q(x)‖ ≤ ‖x‖·(1 + √32/254).
 *
 * What a crafted update can do: at most B∞ on any one weight (an honest client's signal moves
 * it by at most C, its noise by more than σ·t∞ with probability ≤ β/2), and at most B₂ in L2.
 * With z = 0 both bounds are C (plus the q8 allowance on the norm): exactly an honest client's
 * influence. With z > 0 a crafted update is indistinguishable from an honest one with unlucky
 * noise; what stops one sender from repeating it is the per-address upload quota.
 */
import { Q8_BLOCK } from '../wire/quantize.ts';

/** Probability that an honest update is rejected by the two tests together. */
export const HONEST_REJECTION_PROBABILITY = 1e-6;

/** Relative allowance for float32 rounding of the client's arithmetic. */
const FLOAT_SLACK = 1e-6;

/** The q8 rounding allowance on the norm: 1 + √Q8_BLOCK/254. */
export const Q8_NORM_SLACK = 1 + Math.sqrt(Q8_BLOCK) / 254;

/** Mills' upper bound of the standard normal tail: Φ̄(t) ≤ φ(t)/t for t > 0. */
function normalTailBound(t: number): number {
  return Math.exp(-0.5 * t * t) / (t * Math.sqrt(2 * Math.PI));
}

/**
 * The smallest t with 2·D·φ(t)/t ≤ β (to 1e-9): the D coordinates of N(0, I_D) all lie in
 * [−t, t] with probability ≥ 1 − β.
 */
export function coordinateTail(length: number, beta: number): number {
  // 2Dφ(t)/t is decreasing for t > 0: bisect on an interval that surely holds the root.
  let lo = 1e-3;
  let hi = 64;
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2;
    if (2 * length * normalTailBound(mid) > beta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** r with P(‖N(0, I_D)‖ > r) ≤ β by Laurent & Massart's chi-square tail bound. */
export function normTail(length: number, beta: number): number {
  const x = Math.log(1 / beta);
  return Math.sqrt(length + 2 * Math.sqrt(length * x) + 2 * x);
}

/** The acceptance bounds of a round: largest L2 norm and largest |value| of an update. */
export interface UpdateBounds {
  readonly maxNorm: number;
  readonly maxCoordinate: number;
}

/** Bounds an honest update (clip C, noise multiplier z, D values) passes w.p. ≥ 1 − 10⁻⁶. */
export function updateBounds(
  clipNorm: number,
  noiseMultiplier: number,
  length: number,
): UpdateBounds {
  const sigma = noiseMultiplier * clipNorm;
  const beta = HONEST_REJECTION_PROBABILITY / 2;
  const noiseNorm = sigma === 0 ? 0 : sigma * normTail(length, beta);
  const noiseCoordinate = sigma === 0 ? 0 : sigma * coordinateTail(length, beta);
  return {
    maxNorm: (clipNorm + noiseNorm) * Q8_NORM_SLACK * (1 + FLOAT_SLACK),
    maxCoordinate: (clipNorm + noiseCoordinate) * (1 + FLOAT_SLACK),
  };
}

/** What the tests need from an update: finiteness, L2 norm and largest absolute value. */
export interface UpdateMeasure {
  readonly finite: boolean;
  readonly norm: number;
  readonly maxAbs: number;
}

/** Measures an update payload (f32 or q8, as stored) in one pass without decoding q8. */
export function measureUpdate(
  encoding: 'f32' | 'q8',
  payload: Uint8Array,
  length: number,
): UpdateMeasure {
  let sum = 0;
  let maxAbs = 0;
  if (encoding === 'f32') {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let i = 0; i < length; i++) {
      const v = Math.abs(view.getFloat32(i * 4, true));
      sum += v * v;
      if (v > maxAbs) maxAbs = v;
    }
    // A NaN or ±Infinity value makes the sum of squares non-finite.
    return Number.isFinite(sum)
      ? { finite: true, norm: Math.sqrt(sum), maxAbs }
      : { finite: false, norm: Number.NaN, maxAbs: Number.NaN };
  }
  const blocks = Math.ceil(length / Q8_BLOCK);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const codes = new Int8Array(payload.buffer, payload.byteOffset + blocks * 4, length);
  for (let b = 0; b < blocks; b++) {
    const scale = Math.abs(view.getFloat32(b * 4, true));
    if (!Number.isFinite(scale)) return { finite: false, norm: Number.NaN, maxAbs: Number.NaN };
    let squares = 0;
    let largest = 0;
    const end = Math.min(length, (b + 1) * Q8_BLOCK);
    for (let i = b * Q8_BLOCK; i < end; i++) {
      const c = codes[i] ?? 0;
      squares += c * c;
      if (Math.abs(c) > largest) largest = Math.abs(c);
    }
    sum += scale * scale * squares;
    if (scale * largest > maxAbs) maxAbs = scale * largest;
  }
  return { finite: true, norm: Math.sqrt(sum), maxAbs };
}
