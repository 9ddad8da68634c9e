import { describe, expect, it } from 'vitest';
import {
  bernoulliExp,
  DiscreteGaussianError,
  discreteGaussianVariance,
  randomBelowFromWords,
  sampleDiscreteGaussian,
  sampleDiscreteGaussians,
  sampleDiscreteLaplace,
  seededRandomBelow,
} from '../../src/privacy/discrete-gaussian.ts';

const N = 20_000;

function moments(xs: readonly bigint[]) {
  const n = xs.map(Number);
  const mean = n.reduce((s, x) => s + x, 0) / n.length;
  const variance = n.reduce((s, x) => s + (x - mean) ** 2, 0) / (n.length - 1);
  return { mean, variance };
}

/** The exact pmf of N_Z(0, σ²) at x. */
function pmf(sigma: number, x: number): number {
  let z = 0;
  const reach = Math.ceil(12 * sigma) + 2;
  for (let k = -reach; k <= reach; k++) z += Math.exp(-(k * k) / (2 * sigma * sigma));
  return Math.exp(-(x * x) / (2 * sigma * sigma)) / z;
}

describe('discrete Gaussian N_Z(0, σ²) (Canonne, Kamath & Steinke 2020)', () => {
  for (const [sigma, seed] of [
    [0.5, 11],
    [3, 12],
    [40, 13],
  ] as const) {
    it(`has mean ≈ 0 and the exact variance at σ = ${sigma} (seeded, ${N} draws)`, () => {
      // Arrange
      const exact = discreteGaussianVariance(sigma);

      // Act
      const { mean, variance } = moments(
        sampleDiscreteGaussians(N, sigma, seededRandomBelow(seed)),
      );

      // Assert: within 4.5 standard errors (mean: √(var/n); variance: var·√(2/n), plus kurtosis slack).
      expect(Math.abs(mean)).toBeLessThan(4.5 * Math.sqrt(exact / N));
      expect(Math.abs(variance - exact)).toBeLessThan(4.5 * exact * Math.sqrt(3 / N));
    });
  }

  it('matches σ² within 0.1% for σ ≥ 3 and is below σ² for σ = 0.5 (the exact variance)', () => {
    // Arrange / Act / Assert
    expect(discreteGaussianVariance(3) / 9).toBeCloseTo(1, 3);
    expect(discreteGaussianVariance(40) / 1600).toBeCloseTo(1, 3);
    expect(discreteGaussianVariance(0.5)).toBeLessThan(0.25);
  });

  it('puts the exact pmf on small values at σ = 3 (chi-square, 13 bins and two tails)', () => {
    // Arrange
    const sigma = 3;
    const xs = sampleDiscreteGaussians(N, sigma, seededRandomBelow(21)).map(Number);
    const counts = new Map<number, number>();
    for (const x of xs) {
      const bin = Math.max(-7, Math.min(7, x));
      counts.set(bin, (counts.get(bin) ?? 0) + 1);
    }

    // Act
    let chi2 = 0;
    let inner = 0;
    for (let x = -6; x <= 6; x++) {
      const expected = N * pmf(sigma, x);
      inner += pmf(sigma, x);
      chi2 += ((counts.get(x) ?? 0) - expected) ** 2 / expected;
    }
    const tail = (N * (1 - inner)) / 2;
    for (const bin of [-7, 7]) chi2 += ((counts.get(bin) ?? 0) - tail) ** 2 / tail;

    // Assert: 14 degrees of freedom; 36.12 is the 0.999 quantile.
    expect(chi2).toBeLessThan(36.12);
  });

  it('is symmetric: as many draws above 0 as below (σ = 3)', () => {
    // Arrange / Act
    const xs = sampleDiscreteGaussians(N, 3, seededRandomBelow(31));
    const above = xs.filter((x) => x > 0n).length;
    const below = xs.filter((x) => x < 0n).length;

    // Assert: the difference of two halves of ~n(1 − P[0]) draws, within 4.5 standard errors.
    expect(Math.abs(above - below)).toBeLessThan(4.5 * Math.sqrt(above + below));
  });

  it('draws integers only (bigint values)', () => {
    // Arrange / Act
    const xs = sampleDiscreteGaussians(1000, 2.7, seededRandomBelow(41));

    // Assert
    expect(xs.every((x) => typeof x === 'bigint')).toBe(true);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    // Arrange / Act
    const a = sampleDiscreteGaussians(50, 5, seededRandomBelow(7));
    const b = sampleDiscreteGaussians(50, 5, seededRandomBelow(7));
    const c = sampleDiscreteGaussians(50, 5, seededRandomBelow(8));

    // Assert
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('Bernoulli(exp(−γ)) has probability exp(−γ) for γ = 1 and γ = 5/2', () => {
    // Arrange
    const below = seededRandomBelow(51);
    for (const [num, den] of [
      [1n, 1n],
      [5n, 2n],
    ] as const) {
      // Act
      let ones = 0;
      for (let i = 0; i < N; i++) if (bernoulliExp({ num, den }, below)) ones++;

      // Assert
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(ones / N - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / N));
    }
  });

  it('draws the discrete Laplace with P[0] = (1 − e^{−1/t}) / (1 + e^{−1/t}) at t = 2', () => {
    // Arrange
    const below = seededRandomBelow(61);
    const q = Math.exp(-1 / 2);
    const p0 = (1 - q) / (1 + q);

    // Act
    let zeros = 0;
    for (let i = 0; i < N; i++) if (sampleDiscreteLaplace(2n, below) === 0n) zeros++;

    // Assert
    expect(Math.abs(zeros / N - p0)).toBeLessThan(4.5 * Math.sqrt((p0 * (1 - p0)) / N));
  });

  it('draws uniform integers below bounds above 2^32 (each of 4 quarters ≈ 1/4)', () => {
    // Arrange
    let word = 0;
    const below = randomBelowFromWords(() => {
      word = (Math.imul(word, 1664525) + 1013904223) >>> 0;
      return word;
    });
    const n = 3n * 2n ** 70n + 5n;
    const quarters = [0, 0, 0, 0];

    // Act
    for (let i = 0; i < 4000; i++) {
      const x = below(n);
      expect(x >= 0n && x < n).toBe(true);
      const q = Number((x * 4n) / n);
      quarters[q] = (quarters[q] ?? 0) + 1;
    }

    // Assert
    for (const q of quarters) expect(Math.abs(q - 1000)).toBeLessThan(4.5 * Math.sqrt(750));
  });

  it('refuses σ ≤ 0, NaN and ∞ with a message naming σ', () => {
    // Arrange
    const below = seededRandomBelow(1);

    // Act / Assert
    for (const sigma of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => sampleDiscreteGaussian(sigma, below)).toThrow(DiscreteGaussianError);
    expect(() => sampleDiscreteGaussian(0, below)).toThrow('finite σ > 0, got 0');
  });
});
