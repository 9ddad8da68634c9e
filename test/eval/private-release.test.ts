/**
 * Simulated DAP releases for offline evaluation: the population (each history once, or a seeded
 * bootstrap), the exact sum of the real client encoders' reports, and each aggregator's discrete
 * Gaussian noise of the task's σ (statistical check of the released noise's variance 2σ²).
 */
import { describe, expect, it } from 'vitest';
import { population, simulateRelease } from '../../src/eval/private-release.ts';
import {
  DEFAULT_PRIVATE_STATISTICS,
  histogramMeasurement,
  taskParts,
} from '../../src/models/private-tasks.ts';
import { discreteGaussianVariance } from '../../src/privacy/discrete-gaussian.ts';
import type { DapMeasurement } from '../../src/protocol/dap.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { encodeItemHistogram, pairCountsEncoder } from '../../src/wire/dap-measurement.ts';

const HISTORIES = [['a', 'b'], ['b', 'c', 'b'], ['d'], []];

describe('population', () => {
  it('counts every history once when the size is their number', () => {
    const people = population(HISTORIES, 4, 1);
    expect(Array.from(people.copies)).toEqual([1, 1, 1, 1]);
    expect(people.size).toBe(4);
  });

  it('draws a seeded bootstrap of the requested size otherwise', () => {
    const a = population(HISTORIES, 1_000, 7);
    const b = population(HISTORIES, 1_000, 7);
    expect(Array.from(a.copies)).toEqual(Array.from(b.copies));
    expect(a.copies.reduce((t, c) => t + c, 0)).toBe(1_000);
    for (const c of a.copies) expect(c).toBeGreaterThan(200); // each about 250
  });
});

describe('simulateRelease', () => {
  it('adds two aggregators\u2019 noise of the task\u2019s σ: variance 2σ², mean 0 (statistical)', () => {
    // Arrange: 20,000 items nobody reports, so the release is the noise alone.
    const ids = Array.from({ length: 20_000 }, (_, i) => `i${i}`);
    const m = histogramMeasurement(ids, { ...DEFAULT_PRIVATE_STATISTICS, maxItems: 4 });
    const rho = 0.5;
    const people = population([[]], 1, 1);
    // Act
    const release = simulateRelease('t', m, rho, people, 3);
    // Assert
    const sigma = taskParts(m, rho).noise.sigma; // √maxItems / √(2ρ) = 2
    expect(release.sigma).toBe(sigma);
    expect(release.rho).toBe(rho);
    const values = Array.from(release.sum);
    expect(values.every(Number.isInteger)).toBe(true);
    const mean = values.reduce((t, v) => t + v, 0) / values.length;
    const variance = values.reduce((t, v) => t + (v - mean) ** 2, 0) / (values.length - 1);
    const expected = 2 * discreteGaussianVariance(sigma);
    // Standard errors at n = 20,000: mean √(8/n) ≈ 0.02, variance 8·√(2/n) ≈ 0.08.
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - expected)).toBeLessThan(0.4);
  });

  it('sums the real client encoders\u2019 reports of every copy of every history', () => {
    // Arrange: a ρ so large that the noise is 0 (σ ≈ 0.002): the release is the exact sum.
    const m = histogramMeasurement(['a', 'b', 'c', 'd', 'e'], {
      ...DEFAULT_PRIVATE_STATISTICS,
      maxItems: 2,
    });
    const people = population(HISTORIES, 50, 5);
    // Act
    const release = simulateRelease('t', m, 1e6, people, 1);
    // Assert
    const want = new Array<number>(5).fill(0);
    HISTORIES.forEach((h, i) => {
      encodeItemHistogram(m, h).forEach((v, c) => {
        want[c]! += people.copies[i]! * v;
      });
    });
    expect(Array.from(release.sum)).toEqual(want);
    expect(release.reports).toBe(50);
  });

  it('draws each copy\u2019s pair report on its own (stochastic rounding), as each device would', () => {
    // Arrange
    const m: Extract<DapMeasurement, { kind: 'pair-counts' }> = {
      kind: 'pair-counts',
      items: ['a', 'b', 'c'],
      cells: [
        [0, 1],
        [1, 2],
      ],
      maxEvents: 10,
      window: 2,
      decay: 0.5,
      clip: 1,
      scale: 3,
    };
    const people = population(HISTORIES, 4, 1);
    // Act
    const release = simulateRelease('t', m, 1e6, people, 9);
    // Assert: the same reports in the same order from the same seed.
    const encode = pairCountsEncoder(m);
    const rng = seededRng(9);
    const want = [0, 0];
    for (const h of HISTORIES)
      encode(h, rng).forEach((v, c) => {
        want[c]! += v;
      });
    expect(Array.from(release.sum)).toEqual(want);
  });

  it('refuses a measurement it cannot simulate', () => {
    const m: DapMeasurement = {
      kind: 'model-evaluation',
      model: 'x',
      candidate: 1,
      served: 0,
      k: 10,
    };
    expect(() => simulateRelease('t', m, 1, population([[]], 1, 1), 1)).toThrow(
      /no simulated release of model-evaluation/,
    );
  });
});
