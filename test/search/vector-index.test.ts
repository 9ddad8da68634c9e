import { describe, expect, it } from 'vitest';
import type { IndexFilter } from '../../src/search/filter.ts';
import { IndexDimensionError, type IndexRow, VectorIndex } from '../../src/search/vector-index.ts';
import { gaussian, type Rng, seededRng } from '../../src/shared/rng.ts';

function randomRows(rng: Rng, n: number, dims: number): IndexRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `item-${i}`,
    vector: Float32Array.from({ length: dims }, () => gaussian(rng)),
    category: i % 7 === 0 ? undefined : `cat-${i % 5}`,
    available: i % 4 !== 0,
  }));
}

/** The obvious O(n log n) reference: cosine of every passing row, sorted. */
function naiveTopK(index: VectorIndex, query: Float32Array, k: number, filter: IndexFilter = {}) {
  const excluded = new Set(filter.excludeIds ?? []);
  const categories = filter.category === undefined ? null : new Set([filter.category].flat());
  const qn = Math.hypot(...query);
  const scored: { id: string; row: number; score: number }[] = [];
  for (let row = 0; row < index.size; row++) {
    const id = index.idAt(row)!;
    if (excluded.has(id)) continue;
    if (filter.availableOnly && !index.isAvailable(row)) continue;
    if (categories && !categories.has(index.categoryAt(row) ?? '\u0000')) continue;
    if (filter.predicate && !filter.predicate(row)) continue;
    const v = index.vectorAt(row);
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j]! * query[j]!;
    scored.push({ id, row, score: dot / qn });
  }
  scored.sort((a, b) => b.score - a.score || a.row - b.row);
  return scored.slice(0, k);
}

function expectSameHits(
  actual: ReturnType<VectorIndex['topK']>,
  expected: ReturnType<typeof naiveTopK>,
) {
  expect(actual.map((h) => h.id)).toEqual(expected.map((h) => h.id));
  actual.forEach((hit, i) => {
    expect(hit.score).toBeCloseTo(expected[i]!.score, 6);
  });
}

describe('VectorIndex.topK', () => {
  const rng = seededRng(42);
  const dims = 23; // not a multiple of 4: exercises the loop tail
  const rows = randomRows(rng, 2000, dims);
  const queries = Array.from({ length: 25 }, () =>
    Float32Array.from({ length: dims }, () => gaussian(rng)),
  );
  const filters: IndexFilter[] = [
    {},
    { availableOnly: true },
    { category: 'cat-2' },
    { category: ['cat-1', 'cat-3'], availableOnly: true },
    { excludeIds: new Set(['item-1', 'item-5', 'item-99', 'missing']) },
    { predicate: (row) => row % 3 === 0 },
  ];

  const variants = [
    { name: 'f32 (WebAssembly SIMD)', kind: 'f32', simd: true },
    { name: 'f32 (JavaScript)', kind: 'f32', simd: false },
    { name: 'i8', kind: 'i8', simd: false },
  ] as const;
  for (const { name, kind, simd } of variants) {
    it(`matches a naive reference exactly for ${name} with every filter`, () => {
      // Arrange
      const index = VectorIndex.build(rows, { dims, kind, simd });
      expect(index.usesSimd).toBe(simd);
      for (const filter of filters) {
        for (const query of queries) {
          // Act
          const hits = index.topK(query, 20, filter);
          // Assert
          expectSameHits(hits, naiveTopK(index, query, 20, filter));
        }
      }
    });
  }

  it('excluded ids never come back, even when they are the best match', () => {
    // Arrange
    const index = VectorIndex.build(rows, { dims });
    const query = index.vectorAt(10);
    // Act
    const before = index.topK(query, 1);
    const after = index.topK(query, 5, { excludeIds: ['item-10'] });
    const again = index.topK(query, 1);
    // Assert
    expect(before[0]?.id).toBe('item-10');
    expect(before[0]?.score).toBeCloseTo(1, 6);
    expect(after.map((h) => h.id)).not.toContain('item-10');
    expect(again[0]?.id).toBe('item-10');
  });

  it('int8 storage keeps the f32 top-10 nearly intact (recall@10 >= 0.9)', () => {
    // Arrange
    const f32 = VectorIndex.build(rows, { dims, kind: 'f32' });
    const i8 = VectorIndex.build(rows, { dims, kind: 'i8' });
    // Act
    let found = 0;
    for (const query of queries) {
      const truth = new Set(f32.topK(query, 10).map((h) => h.id));
      found += i8.topK(query, 10).filter((h) => truth.has(h.id)).length;
    }
    // Assert
    expect(found / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    expect(i8.byteLength).toBeLessThan(f32.byteLength / 3);
  });

  it('returns fewer than k hits when fewer rows pass, and none for a zero query', () => {
    // Arrange
    const index = VectorIndex.build(rows.slice(0, 3), { dims });
    // Act / Assert
    expect(index.topK(queries[0]!, 10)).toHaveLength(3);
    expect(index.topK(new Float32Array(dims), 10)).toEqual([]);
    expect(index.topK(queries[0]!, 0)).toEqual([]);
    expect(index.topK(queries[0]!, 5, { category: 'unknown' })).toEqual([]);
  });

  it('breaks score ties by row order', () => {
    // Arrange
    const same = [1, 0, 0];
    const index = VectorIndex.build(
      ['c', 'a', 'b'].map((id) => ({ id, vector: same })),
      { dims: 3 },
    );
    // Act
    const hits = index.topK(new Float32Array([1, 0, 0]), 2);
    // Assert
    expect(hits.map((h) => h.id)).toEqual(['c', 'a']);
  });

  it('rejects queries and rows of the wrong dimensionality', () => {
    // Arrange
    const index = VectorIndex.build(rows.slice(0, 3), { dims });
    // Act / Assert
    expect(() => index.topK(new Float32Array(dims + 1), 3)).toThrow(IndexDimensionError);
    expect(() => VectorIndex.build([{ id: 'x', vector: [1, 2] }], { dims: 3 })).toThrow(
      /has 2 dims/,
    );
  });
});
