import { describe, expect, it } from 'vitest';
import { clipL2, l2Norm } from '../../src/privacy/clip.ts';
import {
  addGaussianNoise,
  gaussianDeltaExact,
  gaussianEpsilonExact,
} from '../../src/privacy/gaussian.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';

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
