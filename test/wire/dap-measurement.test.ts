import { describe, expect, it } from 'vitest';
import { reportSensitivity } from '../../src/privacy/dap-accounting.ts';
import { seededRng } from '../../src/shared/rng.ts';
import {
  decodeEvaluationSum,
  decodeRankerSum,
  encodeEvaluation,
  encodeItemHistogram,
  encodePairCounts,
  encodeRankerDelta,
} from '../../src/wire/dap-measurement.ts';

const items = Array.from({ length: 50 }, (_, i) => `i${i}`);
const histogram = { kind: 'item-histogram' as const, items, maxItems: 5 };
const ranker = {
  kind: 'ranker-update' as const,
  modelVersion: 0,
  features: ['a', 'b', 'c'],
  clip: 1,
  scale: 50,
  localSteps: 1,
  learningRate: 0.1,
};

describe('secure-aggregation measurements', () => {
  it('a visitor with 10,000 events contributes no more than one with maxItems', () => {
    const rng = seededRng(3);
    const long = Array.from({ length: 10_000 }, () => `i${Math.floor(rng() * 60)}`);
    const short = ['i1', 'i2', 'i3', 'i4', 'i5'];
    const a = encodeItemHistogram(histogram, long);
    const b = encodeItemHistogram(histogram, short);
    const norm = (v: number[]) => Math.hypot(...v);
    expect(norm(a)).toBeLessThanOrEqual(reportSensitivity(histogram) + 1e-12);
    expect(norm(a)).toBe(norm(b));
    expect(a.every((x) => x === 0 || x === 1)).toBe(true);
  });

  it('takes the most recent distinct items the task counts', () => {
    const v = encodeItemHistogram({ ...histogram, maxItems: 2 }, ['i1', 'i2', 'zz', 'i2', 'i3']);
    expect(v.flatMap((x, i) => (x === 1 ? [items[i]] : []))).toEqual(['i2', 'i3']);
  });

  it('clips a ranker delta, stays within its L2 bound and decodes to an unbiased mean', () => {
    const rng = seededRng(7);
    const delta = [3, -4, 0]; // norm 5, clipped to 1 → [0.6, −0.8, 0]
    const n = 4_000;
    const sum = new Array<number>(7).fill(0);
    for (let k = 0; k < n; k++) {
      const v = encodeRankerDelta(ranker, delta, rng);
      expect(Math.hypot(...v)).toBeLessThanOrEqual(reportSensitivity(ranker) + 1e-9);
      v.forEach((x, i) => {
        sum[i]! += x;
      });
    }
    const { mean, count } = decodeRankerSum(ranker, sum);
    expect(count).toBe(n);
    expect(mean[0]).toBeCloseTo(0.6, 2);
    expect(mean[1]).toBeCloseTo(-0.8, 2);
    expect(mean[2]).toBe(0);
  });

  it('refuses a delta of the wrong length or with a non-finite value', () => {
    expect(() => encodeRankerDelta(ranker, [1, 2], seededRng(1))).toThrow(/needs 3 finite values/);
    expect(() => encodeRankerDelta(ranker, [1, Number.NaN, 0], seededRng(1))).toThrow();
  });
});

describe('pair counts and evaluations', () => {
  const pairs = {
    kind: 'pair-counts' as const,
    items: ['a', 'b', 'c', 'd'],
    cells: [
      [0, 1],
      [0, 2],
      [1, 2],
      [2, 3],
    ] as [number, number][],
    maxEvents: 20,
    window: 2,
    decay: 0.9,
    clip: 1,
    scale: 8,
  };

  it('counts pairs within the window, capped at 1 per cell', () => {
    const v = encodePairCounts(pairs, ['a', 'b', 'a', 'b', 'z', 'd'], seededRng(2));
    // a–b: gaps 1, 1, 2 (capped at 1); then the norm is clipped to 1 and scaled by 8
    expect(v[0]).toBe(8);
    expect(v[1]).toBe(0);
    expect(v[3]).toBe(0); // b and d are 2 apart but (1, 3) is not a published cell
  });

  it('a visitor with 10,000 events stays within the integer L2 bound', () => {
    const rng = seededRng(5);
    const long = Array.from({ length: 10_000 }, () => pairs.items[Math.floor(rng() * 4)] ?? 'a');
    for (let k = 0; k < 200; k++) {
      const v = encodePairCounts(pairs, long, rng);
      expect(Math.hypot(...v)).toBeLessThanOrEqual(reportSensitivity(pairs) + 1e-9);
      expect(v.every((x) => Number.isInteger(x) && x >= 0 && x <= pairs.scale)).toBe(true);
    }
  });

  it('encodes an evaluation as a one-hot and decodes the sums', () => {
    expect(encodeEvaluation('served')).toEqual([0, 1, 0]);
    expect(decodeEvaluationSum([5, 2, 1])).toEqual({ candidate: 5, served: 2, tie: 1 });
  });
});
