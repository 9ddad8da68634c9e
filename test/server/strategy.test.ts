import { describe, expect, it } from 'vitest';
import { l2Norm } from '../../src/privacy/clip.ts';
import { withDifferentialPrivacy } from '../../src/server/dp-strategy.ts';
import { type AggregationStrategy, fedAdam, fedAvg } from '../../src/server/strategy.ts';
import { seededRng } from '../../src/shared/rng.ts';

describe('aggregation strategies', () => {
  it('FedAvg adds the mean delta times the server learning rate and mutates nothing', () => {
    const global = Float32Array.of(1, 1);
    const updates = [Float32Array.of(1, 0), Float32Array.of(0, 2)];
    const out = fedAvg({ serverLearningRate: 0.5 }).aggregate({ global, updates, state: [] });
    expect(Array.from(out.params)).toEqual([1.25, 1.5]);
    expect(Array.from(global)).toEqual([1, 1]);
    expect(out.state).toEqual([]);
  });

  it('FedAdam returns its state explicitly and its first step moves each coordinate by lr', () => {
    const global = Float32Array.of(0, 0);
    const first = fedAdam({ learningRate: 0.1 }).aggregate({
      global,
      updates: [Float32Array.of(1, -3)],
      state: [],
    });
    expect(first.params[0]).toBeCloseTo(0.1, 5);
    expect(first.params[1]).toBeCloseTo(-0.1, 5);
    expect(first.state[2]?.[0]).toBe(1);
    const second = fedAdam({ learningRate: 0.1 }).aggregate({
      global: first.params,
      updates: [Float32Array.of(1, -3)],
      state: first.state,
    });
    expect(second.state[2]?.[0]).toBe(2);
    expect(first.state[2]?.[0]).toBe(1);
  });

  it('central DP wrapper clips to C and adds N(0, (zC)^2) to the sum', () => {
    // Arrange: one update far above C, so the clipped sum has norm exactly C.
    const n = 20_000;
    const big = new Float32Array(n).fill(1);
    const dp = withDifferentialPrivacy(fedAvg(), {
      mode: 'central',
      clipNorm: 2,
      noiseMultiplier: 1.5,
      rng: seededRng(4),
    });
    // Act
    const out = dp.aggregate({ global: new Float32Array(n), updates: [big], state: [] });
    // Assert: out = clipped + noise; the noise part has variance (zC)² = 9.
    let sq = 0;
    const clippedValue = 2 / Math.sqrt(n);
    for (let i = 0; i < n; i++) sq += ((out.params[i] ?? 0) - clippedValue) ** 2;
    expect(sq / n / 9).toBeGreaterThan(0.95);
    expect(sq / n / 9).toBeLessThan(1.05);
  });

  it('local DP wrapper re-clips updates to the accepted bound', () => {
    const seen: number[] = [];
    const spy: AggregationStrategy = {
      name: 'spy',
      aggregate: (input) => {
        for (const u of input.updates) seen.push(l2Norm(u));
        return { params: input.global, state: [] };
      },
    };
    withDifferentialPrivacy(spy, { mode: 'local', maxUpdateNorm: 1 }).aggregate({
      global: new Float32Array(2),
      updates: [Float32Array.of(3, 4), Float32Array.of(0.1, 0)],
      state: [],
    });
    expect(seen[0]).toBeLessThanOrEqual(1);
    expect(seen[1]).toBeCloseTo(0.1, 6);
  });
});
