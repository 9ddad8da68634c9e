import { describe, expect, it } from 'vitest';
import { olhEncode, olhEstimate, olhParams, olhVariance } from '../../src/privacy/olh.ts';
import { seededRng } from '../../src/shared/rng.ts';

describe('OLH frequency oracle', () => {
  it('picks g = round(e^eps + 1)', () => {
    expect(olhParams(2).range).toBe(Math.round(Math.exp(2) + 1));
    expect(olhParams(0.1).range).toBe(2);
  });

  it('is unbiased and has the stated variance (seeded, 200 trials)', () => {
    // Arrange: 12 items with known counts, 3000 reports per trial.
    const items = Array.from({ length: 12 }, (_, i) => `item-${i}`);
    const truth = [900, 600, 450, 300, 250, 200, 150, 100, 50, 0, 0, 0];
    const n = truth.reduce((a, b) => a + b, 0);
    const params = olhParams(2);
    const rng = seededRng(42);
    const trials = 200;
    const sums = new Float64Array(items.length);
    const squares = new Float64Array(items.length);
    // Act
    for (let t = 0; t < trials; t++) {
      const reports = items.flatMap((id, i) =>
        Array.from({ length: truth[i] ?? 0 }, () => olhEncode(id, params, rng)),
      );
      const est = olhEstimate(items, reports, params);
      est.counts.forEach((c, i) => {
        sums[i] = (sums[i] ?? 0) + c;
        squares[i] = (squares[i] ?? 0) + c * c;
      });
    }
    // Assert
    items.forEach((_, i) => {
      const mean = (sums[i] ?? 0) / trials;
      const empVar = (squares[i] ?? 0) / trials - mean * mean;
      const theory = olhVariance(params, n, truth[i] ?? 0);
      expect(Math.abs(mean - (truth[i] ?? 0))).toBeLessThan(4 * Math.sqrt(theory / trials));
      // Sample variance of 200 draws: relative sd ≈ sqrt(2/199) ≈ 0.1; allow ±35%.
      expect(empVar / theory).toBeGreaterThan(0.65);
      expect(empVar / theory).toBeLessThan(1.35);
    });
  });

  it('reports a variance that includes the item-count term', () => {
    const params = olhParams(1);
    expect(olhVariance(params, 1000, 500)).not.toBeCloseTo(olhVariance(params, 1000, 0), 3);
  });

  it('rejects an empty estimation domain', () => {
    expect(() => olhEstimate([], [], olhParams(1))).toThrow(/domain is empty/);
  });
});
