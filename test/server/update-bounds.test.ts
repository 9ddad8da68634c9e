import { describe, expect, it } from 'vitest';
import {
  coordinateTail,
  HONEST_REJECTION_PROBABILITY,
  measureUpdate,
  normTail,
  Q8_NORM_SLACK,
  updateBounds,
} from '../../src/server/update-bounds.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';
import { encodeQ8 } from '../../src/wire/quantize.ts';

function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * An honest update at its most extreme: the whole clip norm C either along the noise (the
 * largest norm) or on the noise's largest coordinate with its sign (the largest value).
 */
function honestUpdate(
  length: number,
  clip: number,
  z: number,
  rng: () => number,
  mode: 'norm' | 'value',
) {
  const noise = Float64Array.from({ length }, () => gaussian(rng) * z * clip);
  const x = new Float32Array(length);
  if (mode === 'norm') {
    const n = Math.hypot(...noise);
    for (let i = 0; i < length; i++) x[i] = (noise[i] ?? 0) * (1 + clip / n);
  } else {
    let j = 0;
    for (let i = 0; i < length; i++) if (Math.abs(noise[i] ?? 0) > Math.abs(noise[j] ?? 0)) j = i;
    for (let i = 0; i < length; i++) x[i] = noise[i] ?? 0;
    x[j] = (noise[j] ?? 0) + Math.sign(noise[j] ?? 1) * clip;
  }
  return x;
}

describe('update bounds: honest updates pass', () => {
  it('accepts 10,000 honest worst-case updates (C = 1, z = 1.5, D = 64, f32 and q8)', () => {
    // Arrange
    const rng = seededRng(2024);
    const [length, clip, z] = [64, 1, 1.5];
    const bounds = updateBounds(clip, z, length);
    let rejected = 0;
    // Act
    for (let t = 0; t < 10_000; t++) {
      const x = honestUpdate(length, clip, z, rng, t % 2 === 0 ? 'norm' : 'value');
      const f32 = measureUpdate('f32', f32Bytes(x), length);
      const q8 = measureUpdate('q8', encodeQ8(x), length);
      for (const m of [f32, q8])
        if (!m.finite || m.norm > bounds.maxNorm || m.maxAbs > bounds.maxCoordinate) rejected++;
    }
    // Assert
    expect(rejected).toBe(0);
  });

  it('allows exactly C per value and C(1 + √32/254) in norm when there is no noise (z = 0)', () => {
    const bounds = updateBounds(0.5, 0, 1000);
    expect(bounds.maxCoordinate).toBeCloseTo(0.5, 5);
    expect(bounds.maxNorm).toBeCloseTo(0.5 * Q8_NORM_SLACK, 5);
  });
});

describe('update bounds: the thresholds are tight', () => {
  it('puts the per-value tail within 0.2% of the exact Gaussian quantile (D = 1)', () => {
    // Two-sided P(|N(0,1)| > t) = 5·10⁻⁷ at t = 5.0263 (Φ̄(t) = 2.5·10⁻⁷).
    const t = coordinateTail(1, HONEST_REJECTION_PROBABILITY / 2);
    expect(t).toBeGreaterThanOrEqual(5.026);
    expect(t).toBeLessThan(5.0263 * 1.002);
  });

  it('puts the norm tail within 0.1% of the chi quantile for a collab-size update', () => {
    // χ²_D's 1 − 5·10⁻⁷ quantile ≈ D + 4.89·√(2D) for large D (normal approximation).
    const d = 632_060;
    const r = normTail(d, HONEST_REJECTION_PROBABILITY / 2);
    expect(r).toBeGreaterThan(Math.sqrt(d + 4.89 * Math.sqrt(2 * d)));
    expect(r).toBeLessThan(Math.sqrt(d + 4.89 * Math.sqrt(2 * d)) * 1.001);
  });

  it('bounds one value far below the norm bound for the demo ranker (C = 0.5, z = 33.4, D = 10)', () => {
    const bounds = updateBounds(0.5, 33.43, 10);
    expect(bounds.maxCoordinate / bounds.maxNorm).toBeLessThan(0.7);
  });
});

describe('update bounds: measuring a payload', () => {
  it('measures q8 payloads without decoding, as the decoded values measure', () => {
    // Arrange
    const rng = seededRng(5);
    const x = Float32Array.from({ length: 100 }, () => gaussian(rng));
    // Act
    const q8 = measureUpdate('q8', encodeQ8(x), 100);
    const f32 = measureUpdate('f32', f32Bytes(x), 100);
    // Assert: q8 never raises the largest value; the norm moves by at most the q8 allowance.
    expect(q8.maxAbs).toBeCloseTo(f32.maxAbs, 5);
    expect(Math.abs(q8.norm - f32.norm)).toBeLessThan(f32.norm * (Q8_NORM_SLACK - 1));
  });

  it('reports a NaN or infinite value as not finite', () => {
    expect(measureUpdate('f32', f32Bytes(Float32Array.of(1, Number.NaN)), 2).finite).toBe(false);
    expect(
      measureUpdate('q8', encodeQ8(Float32Array.of(1, Number.POSITIVE_INFINITY)), 2).finite,
    ).toBe(false);
  });
});
