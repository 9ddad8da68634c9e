/**
 * The federated evaluation gate's pure halves: the device's comparison on its held-out item and
 * the collector's decision on the noisy released counts, which promotes only when the one-sided
 * lower bound of the candidate's lead is above 0 (properties, and the false-promotion rate under
 * the DAP noise, seeded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareOnHeldOut,
  heldOutGain,
  PROMOTION_Z,
  promotionDecision,
} from '../../src/models/promotion.ts';
import { sampleDiscreteGaussian, seededRandomBelow } from '../../src/privacy/discrete-gaussian.ts';

const rank = fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 30 }));
const count = fc.double({ min: -50, max: 5_000, noNaN: true });
const release = fc.record({
  candidate: count,
  served: count,
  tie: count,
  noise: fc.double({ min: 0, max: 200, noNaN: true }),
});

describe('heldOutGain and compareOnHeldOut', () => {
  it('gains 1/log2(rank + 2) inside the top k and nothing outside or when absent', () => {
    expect(heldOutGain(0, 10)).toBe(1);
    expect(heldOutGain(2, 10)).toBeCloseTo(0.5, 12);
    expect(heldOutGain(10, 10)).toBe(0);
    expect(heldOutGain(null, 10)).toBe(0);
    expect(heldOutGain(-1, 10)).toBe(0);
  });

  it('names the model that ranks the held-out item higher, and a tie when neither does', () => {
    expect(compareOnHeldOut(5, 1, 10)).toBe('candidate');
    expect(compareOnHeldOut(1, 5, 10)).toBe('served');
    expect(compareOnHeldOut(3, 3, 10)).toBe('tie');
    expect(compareOnHeldOut(null, 12, 10)).toBe('tie'); // both miss the top 10
    expect(compareOnHeldOut(null, 9, 10)).toBe('candidate');
  });

  it('is antisymmetric: swapping the models swaps the outcome (property)', () => {
    const swap = { candidate: 'served', served: 'candidate', tie: 'tie' } as const;
    fc.assert(
      fc.property(rank, rank, fc.integer({ min: 1, max: 20 }), (a, b, k) => {
        expect(compareOnHeldOut(b, a, k)).toBe(swap[compareOnHeldOut(a, b, k)]);
      }),
      { seed: 31, numRuns: 500 },
    );
  });
});

describe('promotionDecision', () => {
  it('promotes exactly when the lower bound lead − z·√2·noise is above 0 (property)', () => {
    fc.assert(
      fc.property(release, (r) => {
        const decision = promotionDecision(r);
        const lowerBound = r.candidate - r.served - PROMOTION_Z * Math.SQRT2 * r.noise;
        expect(decision.lowerBound).toBeCloseTo(lowerBound, 9);
        expect(decision.promote).toBe(decision.lowerBound > 0);
        expect(
          decision.reason.startsWith(decision.promote ? 'promote:' : 'keep the served model:'),
        ).toBe(true);
      }),
      { seed: 32, numRuns: 1_000 },
    );
  });

  it('ignores the ties and never demotes a candidate for more wins (property)', () => {
    fc.assert(
      fc.property(
        release,
        count,
        fc.double({ min: 0, max: 1_000, noNaN: true }),
        (r, tie, more) => {
          const decision = promotionDecision(r);
          expect(promotionDecision({ ...r, tie }).promote).toBe(decision.promote);
          if (decision.promote)
            expect(promotionDecision({ ...r, candidate: r.candidate + more }).promote).toBe(true);
        },
      ),
      { seed: 33, numRuns: 1_000 },
    );
  });

  it('keeps the served model when the candidate does not lead, even without noise', () => {
    expect(promotionDecision({ candidate: 40, served: 40, tie: 900, noise: 0 }).promote).toBe(
      false,
    );
    expect(promotionDecision({ candidate: 41, served: 40, tie: 900, noise: 0 }).promote).toBe(true);
  });

  it('says why in one line, with the noisy counts', () => {
    const { reason } = promotionDecision({ candidate: 130, served: 60, tie: 800, noise: 10 });
    expect(reason).toBe(
      'promote: the candidate leads by 70.0 visitors, at least 42.3 at 1.96σ; candidate better 130.0, served better 60.0, ties 800.0 (noise σ 10.0 each)',
    );
  });

  it('promotes an equally good candidate at most about 2.5% of the time under the DAP noise', () => {
    // Arrange: both models win 300 visitors; each released count carries two aggregators'
    // discrete Gaussian noise (σ = 12 each, σ√2 on the count).
    const sigma = 12;
    const below = seededRandomBelow(34);
    const noisy = (c: number) =>
      c +
      Number(sampleDiscreteGaussian(sigma, below)) +
      Number(sampleDiscreteGaussian(sigma, below));
    const trials = 4_000;
    // Act
    let equal = 0;
    let better = 0;
    for (let t = 0; t < trials; t++) {
      const noise = sigma * Math.SQRT2;
      if (promotionDecision({ candidate: noisy(300), served: noisy(300), tie: 0, noise }).promote)
        equal++;
      // A candidate that truly leads by 4 standard deviations of the difference.
      if (promotionDecision({ candidate: noisy(396), served: noisy(300), tie: 0, noise }).promote)
        better++;
    }
    // Assert: 1 − Φ(1.96) = 2.5%; the binomial standard error at 4,000 trials is 0.25%.
    expect(equal / trials).toBeLessThan(0.035);
    expect(equal / trials).toBeGreaterThan(0.015);
    expect(better / trials).toBeGreaterThan(0.95); // Φ(4 − 1.96) ≈ 0.979
  });
});
