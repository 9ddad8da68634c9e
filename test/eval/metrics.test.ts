import { describe, expect, it } from 'vitest';
import { coverage } from '../../src/eval/metrics/coverage.ts';
import { hitRate } from '../../src/eval/metrics/hit-rate.ts';
import { intraListDiversity } from '../../src/eval/metrics/ild.ts';
import { meanDefined } from '../../src/eval/metrics/mean.ts';
import { ndcg } from '../../src/eval/metrics/ndcg.ts';
import { novelty } from '../../src/eval/metrics/novelty.ts';

describe('ranking metrics', () => {
  it('hit rate is 1 for a hit inside k, 0 for a miss, NaN without relevant items', () => {
    expect(hitRate(['a', 'b', 'c'], new Set(['c']), 3)).toBe(1);
    expect(hitRate(['a', 'b', 'c'], new Set(['c']), 2)).toBe(0);
    expect(hitRate(['a'], new Set(), 10)).toBeNaN();
  });

  it('NDCG discounts by log2(rank + 1) and normalises by the ideal DCG', () => {
    // one relevant item at rank 3: 1 / log2(4) = 0.5
    expect(ndcg(['a', 'b', 'c'], new Set(['c']), 10)).toBeCloseTo(0.5, 12);
    // relevant {a, c}: DCG = 1 + 0.5, IDCG = 1 + 1/log2(3)
    expect(ndcg(['a', 'b', 'c'], new Set(['a', 'c']), 10)).toBeCloseTo(
      1.5 / (1 + 1 / Math.log2(3)),
      12,
    );
    expect(ndcg(['a', 'b'], new Set(['z']), 10)).toBe(0);
    expect(ndcg(['a', 'b'], new Set(), 10)).toBeNaN();
  });

  it('the mean skips NaN (undefined) users but keeps zeros', () => {
    expect(meanDefined([1, 0, Number.NaN])).toBe(0.5);
    expect(meanDefined([Number.NaN])).toBeNaN();
  });

  it('coverage counts distinct recommended items over the catalog size', () => {
    expect(
      coverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        6,
      ),
    ).toBe(0.5);
    expect(coverage([[]], 4)).toBe(0);
    expect(coverage([['a']], 0)).toBeNaN();
  });

  it('novelty is the mean add-one-smoothed self-information', () => {
    const counts: Record<string, number> = { a: 3, b: 0 };
    // p(a) = 4/4 → 0 bits; p(b) = 1/4 → 2 bits; mean = 1
    expect(novelty(['a', 'b'], (i) => counts[i] ?? 0, 3)).toBeCloseTo(1, 12);
    expect(novelty([], () => 0, 3)).toBeNaN();
  });

  it('ILD is the mean pairwise cosine distance; NaN with fewer than two vectors', () => {
    const v: Record<string, Float32Array> = {
      x: Float32Array.of(1, 0),
      y: Float32Array.of(0, 1),
      z: Float32Array.of(1, 0),
    };
    // pairs: x-y 1, x-z 0, y-z 1 → 2/3
    expect(intraListDiversity(['x', 'y', 'z'], (i) => v[i])).toBeCloseTo(2 / 3, 6);
    expect(intraListDiversity(['x', 'nope'], (i) => v[i])).toBeNaN();
  });
});
