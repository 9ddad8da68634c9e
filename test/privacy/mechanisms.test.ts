import { describe, expect, it } from 'vitest';
import { clipL2, l2Norm } from '../../src/privacy/clip.ts';
import {
  addGaussianNoise,
  gaussianDeltaExact,
  gaussianEpsilonExact,
  normalCdf,
} from '../../src/privacy/gaussian.ts';
import { cryptoRng, gaussian, openUniform, type Rng, seededRng } from '../../src/shared/rng.ts';

describe('clipL2', () => {
  it('bounds the norm of every random vector by C and leaves short vectors unchanged', () => {
    // Arrange
    const rng = seededRng(1);
    const clip = 1.5;
    // Act / Assert
    for (let t = 0; t < 200; t++) {
      const scale = rng() * 5;
      const v = Float32Array.from({ length: 50 }, () => gaussian(rng) * scale * 0.3);
      const clipped = clipL2(v, clip);
      expect(l2Norm(clipped)).toBeLessThanOrEqual(clip);
      if (l2Norm(v) <= clip) expect(Array.from(clipped)).toEqual(Array.from(v));
      else expect(l2Norm(clipped)).toBeCloseTo(clip, 4);
    }
  });

  it('does not mutate its input', () => {
    const v = Float32Array.from([3, 4]);
    clipL2(v, 1);
    expect(Array.from(v)).toEqual([3, 4]);
  });

  it('rejects a non-positive clip norm with an actionable message', () => {
    expect(() => clipL2(new Float32Array(2), 0)).toThrow(/clip norm C must be/);
  });
});

describe('addGaussianNoise', () => {
  it('adds zero-mean noise with the stated variance', () => {
    // Arrange
    const sigma = 2.5;
    const zeros = new Float32Array(200_000);
    // Act
    const noisy = addGaussianNoise(zeros, sigma, seededRng(7));
    // Assert
    let sum = 0;
    let sq = 0;
    for (const x of noisy) {
      sum += x;
      sq += x * x;
    }
    const mean = sum / noisy.length;
    const variance = sq / noisy.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan((4 * sigma) / Math.sqrt(noisy.length));
    expect(variance / (sigma * sigma)).toBeGreaterThan(0.98);
    expect(variance / (sigma * sigma)).toBeLessThan(1.02);
  });
});

describe('gaussianDeltaExact', () => {
  it('matches the Balle–Wang closed form at sigma = 1, epsilon = 1', () => {
    // Φ(−0.5) − e·Φ(−1.5) = 0.308538 − 2.718282·0.0668072
    expect(gaussianDeltaExact(1, 1)).toBeCloseTo(0.308538 - Math.E * 0.0668072, 5);
  });

  it('inverts to the epsilon it was computed at', () => {
    const delta = gaussianDeltaExact(2, 1.3);
    expect(gaussianEpsilonExact(delta, 1.3)).toBeCloseTo(2, 4);
  });
});

/** Two-sided tail mass P(|Z| > t) of a standard normal. */
function twoSidedTail(t: number): number {
  return 2 * normalCdf(-t);
}

/**
 * A source conditioned on the event that the first `levels` uniforms fall below 2^-16: each is a
 * uniform on [0, 2^-16) (the conditional law of a uniform), later ones are plain. `gaussian` draws
 * its radius's uniform first, so its draws are then those of a Gaussian conditioned on
 * U < 2^(−16·levels), whose tail beyond t is P(|Z| > t) · 2^(16·levels) when e^(−t²/2) < 2^(−16·levels):
 * importance sampling that makes the 5σ and 7σ tails measurable with 10^5 draws.
 */
function conditionedSource(rng: Rng, levels: number): Rng {
  let calls = 0;
  return () => {
    calls += 1;
    return calls <= levels ? rng() * 2 ** -16 : rng();
  };
}

/** Fraction of `n` draws with |z| > t, each draw made from `source()`. */
function tailFraction(n: number, t: number, source: () => Rng): number {
  let beyond = 0;
  for (let i = 0; i < n; i++) if (Math.abs(gaussian(source())) > t) beyond++;
  return beyond / n;
}

describe('Gaussian tails', () => {
  it('draws beyond 8σ from the smallest non-zero 32-bit uniform (32-bit Box–Muller stops at 6.66σ)', () => {
    // Arrange: a source stuck at 2^-32, the smallest uniform a 32-bit source can return but 0.
    const smallest: Rng = () => 2 ** -32;
    // Act
    const z = gaussian(smallest);
    // Assert
    expect(z).toBeGreaterThan(8);
    expect(Number.isFinite(z)).toBe(true);
  });

  it('terminates with a finite draw beyond 8σ when the source returns only 0', () => {
    // Arrange: 0 is the smallest value any source may return.
    const zero: Rng = () => 0;
    // Act
    const z = gaussian(zero);
    const u = openUniform(zero);
    // Assert
    expect(Number.isFinite(z)).toBe(true);
    expect(z).toBeGreaterThan(8);
    expect(u).toBeGreaterThan(0);
  });

  it('makes cryptoRng uniforms with 53 random bits (values below the 2^-32 grid occur)', () => {
    // Arrange
    const draws = Array.from({ length: 1000 }, () => cryptoRng());
    // Act: a 32-bit uniform times 2^32 is an integer; a 53-bit one almost never is.
    const offGrid = draws.filter((u) => !Number.isInteger(u * 2 ** 32)).length;
    // Assert
    expect(offGrid).toBeGreaterThan(990);
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
  });

  it('matches the normal tail mass at 4σ over 4·10^6 seeded draws', () => {
    // Arrange
    const rng = seededRng(11);
    const n = 4_000_000;
    const expected = twoSidedTail(4);
    // Act
    const observed = tailFraction(n, 4, () => rng);
    // Assert: expected count ≈ 253, binomial sd ≈ 16; allow 4 sd.
    const sd = Math.sqrt(expected / n);
    expect(Math.abs(observed - expected)).toBeLessThan(4 * sd);
  });

  it('matches the normal tail mass at 5σ and 7σ under importance sampling (seeded, 10^5 draws each)', () => {
    // Arrange
    const rng = seededRng(12);
    const n = 100_000;
    const cases = [
      { t: 5, levels: 1 },
      { t: 7, levels: 2 },
    ];
    for (const { t, levels } of cases) {
      const expected = twoSidedTail(t) * 2 ** (16 * levels);
      // Act
      const observed = tailFraction(n, t, () => conditionedSource(rng, levels));
      // Assert: 5σ: p ≈ 0.038, 7σ: p ≈ 0.011; allow 4 binomial sd.
      const sd = Math.sqrt((expected * (1 - expected)) / n);
      expect(Math.abs(observed - expected), `tail beyond ${t}σ`).toBeLessThan(4 * sd);
    }
  });
});
