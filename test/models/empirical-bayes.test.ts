/**
 * NPMLE empirical-Bayes denoising of a released histogram: the posterior mean is never negative,
 * pulls entries that are noise alone towards 0, and keeps a clear signal (seeded noise, statistical
 * assertions).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { npmlePosteriorMean } from '../../src/models/empirical-bayes.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((t, x) => t + x, 0) / v.length;
const mse = (v: ArrayLike<number>, truth: ArrayLike<number>) =>
  mean(Array.from(v, (x, i) => (x - truth[i]!) ** 2));

/** Released sums: integer true counts plus N(0, σ²) noise, rounded as DAP sums are. */
function released(truth: readonly number[], sigma: number, seed: number): number[] {
  const rng = seededRng(seed);
  return truth.map((c) => Math.round(c + sigma * gaussian(rng)));
}

describe('npmlePosteriorMean', () => {
  it('is never negative, for any released values and noise (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -500, max: 500 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (y, sigma) => {
          const out = npmlePosteriorMean(y, sigma, { gridSize: 40, iterations: 40 });
          expect(out.length).toBe(y.length);
          for (const v of out) expect(v).toBeGreaterThanOrEqual(0);
          for (const v of out) expect(Number.isFinite(v)).toBe(true);
        },
      ),
      { seed: 21, numRuns: 200 },
    );
  });

  it('shrinks entries that are noise alone towards 0', () => {
    // Arrange: 5,000 items nobody took, σ = 10.
    const sigma = 10;
    const truth = new Array<number>(5_000).fill(0);
    const y = released(truth, sigma, 3);
    // Act
    const post = npmlePosteriorMean(y, sigma);
    // Assert: E|y| ≈ 0.8σ; the clipped raw values keep ≈ 0.4σ on average; the posterior far less.
    const clipped = y.map((v) => Math.max(0, v));
    expect(mean(post)).toBeLessThan(0.1 * sigma);
    expect(mse(post, truth)).toBeLessThan(0.1 * mse(clipped, truth));
  });

  it('recovers a clear signal: counts well above the noise stay close to their truth', () => {
    // Arrange: 1,000 items with count 60 among 9,000 with none, σ = 8 (the signal is 7.5σ).
    const sigma = 8;
    const truth = [...new Array<number>(1_000).fill(60), ...new Array<number>(9_000).fill(0)];
    const y = released(truth, sigma, 5);
    // Act
    const post = npmlePosteriorMean(y, sigma);
    // Assert
    const signal = Array.from(post.subarray(0, 1_000));
    expect(Math.abs(mean(signal) - 60)).toBeLessThan(1); // unbiased to within ~3 standard errors
    // Raw releases fall within σ of the truth about 68% of the time; the posterior, pulled to the
    // signal's atom of the fitted prior, almost always.
    const within = (v: ArrayLike<number>) =>
      Array.from(v).filter((x) => Math.abs(x - 60) < sigma).length / v.length;
    expect(within(signal)).toBeGreaterThan(0.99);
    expect(within(y.slice(0, 1_000))).toBeLessThan(0.75);
    expect(mse(post, truth)).toBeLessThan(0.5 * mse(y, truth)); // better than the raw release
  });

  it('keeps the order of the released values (a larger release never gets a smaller estimate)', () => {
    const y = released(
      [...new Array<number>(300).fill(20), ...new Array<number>(700).fill(0)],
      6,
      7,
    );
    const post = npmlePosteriorMean(y, 6);
    const order = Array.from(y.keys()).sort((a, b) => y[a]! - y[b]!);
    for (let k = 1; k < order.length; k++)
      expect(post[order[k]!]!).toBeGreaterThanOrEqual(post[order[k - 1]!]! - 1e-9);
  });

  it('clips at 0 without noise (σ = 0)', () => {
    expect(Array.from(npmlePosteriorMean([3, -2, 0.5], 0))).toEqual([3, 0, 0.5]);
  });

  it('keeps the same estimate for equal released values', () => {
    const y = released(
      [...new Array<number>(200).fill(5), ...new Array<number>(200).fill(0)],
      3,
      9,
    );
    const post = npmlePosteriorMean(y, 3);
    const byValue = new Map<number, Set<number>>();
    y.forEach((v, i) => {
      byValue.set(v, (byValue.get(v) ?? new Set()).add(post[i]!));
    });
    for (const estimates of byValue.values()) expect(estimates.size).toBe(1);
  });
});
