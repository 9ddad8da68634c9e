import { describe, expect, it } from 'vitest';
import { fedAdam, fedAvg } from '../../src/server/strategy.ts';

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
});
