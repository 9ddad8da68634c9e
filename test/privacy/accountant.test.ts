import { describe, expect, it } from 'vitest';
import { gaussianEpsilonExact } from '../../src/privacy/gaussian.ts';
import { olhParams } from '../../src/privacy/olh.ts';
import { composePure, randomizedResponseEpsilon } from '../../src/privacy/pure-composition.ts';
import {
  composeRdp,
  DEFAULT_ORDERS,
  gaussianRdp,
  gaussianRho,
  noiseForBudget,
  noiseForRho,
  rdpToEpsilon,
  rhoForBudget,
  rhoToEpsilon,
  sampledGaussianRdp,
} from '../../src/privacy/rdp.ts';

describe('RDP accountant', () => {
  it('gives the Gaussian closed form alpha / (2 z^2)', () => {
    expect(gaussianRdp(2, 8)).toBeCloseTo(1, 12);
    expect(sampledGaussianRdp(2, 1, 8)).toBeCloseTo(1, 12);
  });

  it('upper-bounds the exact (epsilon, delta) of one Gaussian mechanism and stays close to it', () => {
    // Arrange
    const delta = 1e-5;
    for (const z of [0.8, 1, 2, 5]) {
      // Act
      const viaRdp = rhoToEpsilon(gaussianRho(z), delta);
      const exact = gaussianEpsilonExact(delta, z);
      // Assert: RDP conversion is sound (never below the exact curve) and within 35% of it.
      expect(viaRdp).toBeGreaterThanOrEqual(exact);
      expect(viaRdp).toBeLessThan(exact * 1.35);
    }
  });

  it('composes k Gaussian releases exactly like one release with noise z / sqrt(k)', () => {
    const k = 16;
    const composed = rdpToEpsilon(composeRdp([{ noiseMultiplier: 4, steps: k }]), 1e-6).epsilon;
    const single = rdpToEpsilon(composeRdp([{ noiseMultiplier: 1 }]), 1e-6).epsilon;
    expect(composed).toBeCloseTo(single, 9);
    // And k releases at z = 4 are exactly the Gaussian mechanism at z = 1, so compare the exact curve.
    expect(composed).toBeGreaterThanOrEqual(gaussianEpsilonExact(1e-6, 1));
  });

  it('amplifies by subsampling: RDP grows with q and is far below the unsampled value at small q', () => {
    const orders = [2, 4, 8, 16, 32];
    for (const a of orders) {
      const small = sampledGaussianRdp(1.1, 0.01, a);
      const big = sampledGaussianRdp(1.1, 0.1, a);
      expect(small).toBeGreaterThan(0);
      expect(small).toBeLessThan(big);
      expect(big).toBeLessThan(gaussianRdp(1.1, a));
    }
    // Closed form at α = 2: A₂ = 1 + q²(e^(1/z²) − 1), so ε(2) = log A₂.
    for (const [z, q] of [
      [2, 0.001],
      [1, 0.05],
      [0.7, 0.3],
    ] as const) {
      expect(sampledGaussianRdp(z, q, 2)).toBeCloseTo(
        Math.log1p(q * q * Math.expm1(1 / (z * z))),
        12,
      );
    }
  });

  it('finds the noise multiplier that spends exactly the budget', () => {
    const z = noiseForBudget(8, 1e-6, 20);
    expect(rhoToEpsilon(20 * gaussianRho(z), 1e-6)).toBeCloseTo(8, 3);
  });

  it('splits a budget in rho: shares of rhoForBudget compose back to exactly epsilon', () => {
    const rho = rhoForBudget(8, 1.64e-4);
    expect(rhoToEpsilon(rho, 1.64e-4)).toBeCloseTo(8, 6);
    const collab = 5 * gaussianRho(noiseForRho((0.75 * rho) / 5));
    const ranker = gaussianRho(noiseForRho(0.25 * rho));
    expect(rhoToEpsilon(collab + ranker, 1.64e-4)).toBeCloseTo(8, 6);
    expect(noiseForRho(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('searches orders that include both fractional and large values', () => {
    expect(DEFAULT_ORDERS[0]).toBeCloseTo(1.1, 9);
    expect(Math.max(...DEFAULT_ORDERS)).toBeGreaterThanOrEqual(256);
  });
});

describe('pure epsilon composition', () => {
  it('sums the epsilon of each release', () => {
    expect(composePure([2, 2, 0.5])).toBeCloseTo(4.5, 12);
    expect(composePure([])).toBe(0);
  });

  it('matches randomized response: truth probability e/(1+e) is epsilon = 1', () => {
    expect(randomizedResponseEpsilon(Math.E / (1 + Math.E))).toBeCloseTo(1, 12);
  });

  it('OLH likelihood ratio between any two inputs is exactly e^epsilon', () => {
    for (const eps of [0.5, 1, 2, 4]) {
      const { p, range } = olhParams(eps);
      const otherProbability = (1 - p) / (range - 1);
      expect(Math.log(p / otherProbability)).toBeCloseTo(eps, 9);
    }
  });
});
