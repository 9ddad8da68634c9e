/**
 * The private item-item model on the device: `createCooccurrenceModel` refuses parts that disagree,
 * and `cooccurrenceScores`' pooled kernel equals the brute-force Σ_j h_j (k(j, i) f_i + P[j, i])
 * on random small models (fast-check, seeded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WeightedRow } from '../../src/engine/collab-model.ts';
import {
  attributeCloseness,
  type CategoryRows,
  type CooccurrenceKernelInput,
  CooccurrenceModelError,
  type CooccurrenceModelInput,
  cooccurrenceScores,
  createCooccurrenceModel,
  MAX_ATTRIBUTE_BINS,
  pairWeight,
} from '../../src/engine/cooccurrence-model.ts';
import { seededRng } from '../../src/shared/rng.ts';

const PAIRS = { mix: 10, alpha: 0.7, beta: 0.3, floor: 1, scale: 0.5 };

function input(overrides: Partial<CooccurrenceModelInput> = {}): CooccurrenceModelInput {
  return {
    version: 'v-test',
    itemIds: ['a', 'b', 'c'],
    popularity: Float32Array.from([9, 4, 0]),
    kernel: { kind: 'none' },
    pairs: { first: [0], second: [1], counts: [2], ...PAIRS },
    ...overrides,
  };
}

/** The category sets as the engine context gives them (CSR over model rows). */
function categoryRows(sets: readonly (readonly number[])[]): CategoryRows {
  const offsets = new Uint32Array(sets.length + 1);
  const ids: number[] = [];
  sets.forEach((set, row) => {
    ids.push(...set);
    offsets[row + 1] = ids.length;
  });
  return { offsets, ids: Uint32Array.from(ids), count: 1 + Math.max(0, ...ids) };
}

/** Σ_j h_j (k(j, i) f_i + P[j, i]) straight from the definition, with the n × n matrix. */
function bruteForce(
  m: CooccurrenceModelInput,
  history: readonly WeightedRow[],
  sets: readonly (readonly number[])[],
): number[] {
  const n = m.itemIds.length;
  const pop = Array.from(m.popularity);
  const k = m.kernel;
  const gamma = k.kind === 'none' ? 0 : k.gamma;
  const raw = pop.map((p) => (p > 0 ? p ** gamma : 0));
  const max = Math.max(0, ...raw);
  const f = raw.map((r) => (max > 0 ? r / max : 0));
  const kernel = (j: number, i: number): number => {
    if (k.kind === 'attribute') {
      const d = k.values[i]! - k.values[j]!;
      return Math.exp(-(d * d) / (2 * k.tau * k.tau));
    }
    if (k.kind === 'category') {
      const a = new Set(sets[j]);
      const b = new Set(sets[i]);
      if (a.size === 0 || b.size === 0) return 0;
      return [...a].filter((c) => b.has(c)).length / Math.sqrt(a.size * b.size);
    }
    return 0;
  };
  const p = m.pairs;
  const norm = (x: number) => Math.max(pop[x]!, p.floor);
  const pair = (j: number, i: number) => {
    let w = 0;
    for (let e = 0; e < p.counts.length; e++) {
      const a = p.first[e]!;
      const b = p.second[e]!;
      if ((a === j && b === i) || (a === i && b === j))
        w += (p.mix * p.scale * p.counts[e]!) / (norm(j) ** p.alpha * norm(i) ** p.beta);
    }
    return w;
  };
  const out = new Array<number>(n).fill(0);
  for (const { row: j, weight: h } of history) {
    if (!(j >= 0 && j < n && Number.isFinite(h))) continue;
    for (let i = 0; i < n; i++) out[i]! += h * (kernel(j, i) * f[i]! + pair(j, i));
  }
  return out;
}

/** A random small model with its category sets, and a history over its rows (some invalid). */
const smallCase = fc.integer({ min: 2, max: 7 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    popularity: fc.array(
      fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 500, noNaN: true })),
      {
        minLength: n,
        maxLength: n,
      },
    ),
    kind: fc.constantFrom('attribute', 'category', 'none'),
    values: fc.array(fc.integer({ min: 1950, max: 1970 }), { minLength: n, maxLength: n }),
    tau: fc.double({ min: 0.5, max: 10, noNaN: true }),
    gamma: fc.double({ min: 0, max: 1.5, noNaN: true }),
    sets: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), {
      minLength: n,
      maxLength: n,
    }),
    pairs: fc.array(
      fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.double({ min: 0.1, max: 50, noNaN: true })),
      { maxLength: 6 },
    ),
    history: fc.array(
      fc.record({
        row: fc.integer({ min: -1, max: n }),
        weight: fc.oneof(fc.double({ min: 0, max: 3, noNaN: true }), fc.constant(Number.NaN)),
      }),
      { maxLength: 8 },
    ),
  }),
);

describe('createCooccurrenceModel', () => {
  it('stores both directions of every released pair, normalised by both popularities', () => {
    // Act
    const model = createCooccurrenceModel(input());
    // Assert: t · mix · scale / (max(pop_from, floor)^α · max(pop_to, floor)^β)
    expect(pairWeight(model, 0, 1)).toBeCloseTo((2 * 10 * 0.5) / (9 ** 0.7 * 4 ** 0.3), 5);
    expect(pairWeight(model, 1, 0)).toBeCloseTo((2 * 10 * 0.5) / (4 ** 0.7 * 9 ** 0.3), 5);
    expect(pairWeight(model, 0, 2)).toBe(0);
    expect(pairWeight(model, -1, 0)).toBe(0);
  });

  it('gives the attribute closeness only with an attribute kernel', () => {
    const kernel: CooccurrenceKernelInput = {
      kind: 'attribute',
      field: 'year',
      tau: 3,
      gamma: 0.5,
      values: Float32Array.from([1990, 1993, 2020]),
    };
    const model = createCooccurrenceModel(input({ kernel }));
    expect(attributeCloseness(model, 0, 1)).toBeCloseTo(Math.exp(-0.5), 6);
    expect(attributeCloseness(createCooccurrenceModel(input()), 0, 1)).toBe(0);
  });

  it.each([
    [
      'fewer popularity values than items',
      { popularity: Float32Array.from([1, 2]) },
      /2 popularity values for 3 items/,
    ],
    [
      'a negative popularity',
      { popularity: Float32Array.from([1, -2, 0]) },
      /negative or not finite/,
    ],
    [
      'attribute values of another length',
      {
        kernel: {
          kind: 'attribute',
          field: 'year',
          tau: 3,
          gamma: 1,
          values: Float32Array.from([1]),
        },
      },
      /1 attribute values for 3 items/,
    ],
    [
      'a non-finite attribute value',
      {
        kernel: {
          kind: 'attribute',
          field: 'year',
          tau: 3,
          gamma: 1,
          values: Float32Array.from([1, Number.NaN, 3]),
        },
      },
      /an attribute value of 'year' is not finite/,
    ],
    [
      'a kernel width of 0',
      {
        kernel: {
          kind: 'attribute',
          field: 'year',
          tau: 0,
          gamma: 1,
          values: Float32Array.from([1, 2, 3]),
        },
      },
      /tau must be positive/,
    ],
    [
      'pair arrays of different lengths',
      { pairs: { first: [0, 1], second: [1], counts: [1], ...PAIRS } },
      /pair arrays differ in length/,
    ],
    [
      'a pair row outside the items',
      { pairs: { first: [0], second: [3], counts: [1], ...PAIRS } },
      /pair 0 names rows 0 and 3, outside 0\.\.2 or equal/,
    ],
    [
      'a negative pair count',
      { pairs: { first: [0], second: [1], counts: [-1], ...PAIRS } },
      /pair 0 has count -1, expected > 0/,
    ],
  ] as [string, Partial<CooccurrenceModelInput>, RegExp][])(
    'refuses %s with a CooccurrenceModelError naming the model',
    (_case, overrides, message) => {
      expect(() => createCooccurrenceModel(input(overrides))).toThrow(CooccurrenceModelError);
      expect(() => createCooccurrenceModel(input(overrides))).toThrow(message);
      expect(() => createCooccurrenceModel(input(overrides))).toThrow(
        /^private item-item model 'v-test': .*; the collector must rebuild and republish it\.$/,
      );
    },
  );
});

describe('cooccurrenceScores', () => {
  it('equals the brute-force Σ_j h_j (k(j, i) f_i + P[j, i]) on random small models (property)', () => {
    fc.assert(
      fc.property(smallCase, (c) => {
        // Arrange
        const kernel: CooccurrenceKernelInput =
          c.kind === 'attribute'
            ? {
                kind: 'attribute',
                field: 'year',
                tau: c.tau,
                gamma: c.gamma,
                values: Float32Array.from(c.values),
              }
            : c.kind === 'category'
              ? { kind: 'category', gamma: c.gamma }
              : { kind: 'none' };
        const valid = c.pairs.filter(([a, b]) => a !== b);
        const m = input({
          itemIds: Array.from({ length: c.n }, (_, i) => `i${i}`),
          popularity: Float32Array.from(c.popularity),
          kernel,
          pairs: {
            first: valid.map(([a]) => a),
            second: valid.map(([, b]) => b),
            counts: valid.map(([, , t]) => t),
            ...PAIRS,
          },
        });
        // Act
        const got = cooccurrenceScores(createCooccurrenceModel(m), c.history, categoryRows(c.sets));
        // Assert
        const want = bruteForce(m, c.history, c.sets);
        const scale = Math.max(1, ...want.map(Math.abs));
        want.forEach((w, i) => {
          expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-5 * scale);
        });
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it(`pools beyond ${MAX_ATTRIBUTE_BINS} distinct attribute values in τ/8 bins, within the binning bound`, () => {
    // Arrange: 3,000 items with distinct real-valued attributes.
    const rng = seededRng(4);
    const n = 3_000;
    const values = Float32Array.from({ length: n }, () => 1900 + 120 * rng());
    const m = input({
      itemIds: Array.from({ length: n }, (_, i) => `i${i}`),
      popularity: Float32Array.from({ length: n }, () => 1 + 100 * rng()),
      kernel: { kind: 'attribute', field: 'year', tau: 3, gamma: 0.5, values },
      pairs: { first: [], second: [], counts: [], ...PAIRS },
    });
    const history = Array.from({ length: 20 }, (_, k) => ({ row: k * 97, weight: 1 / (k + 1) }));
    // Act
    const model = createCooccurrenceModel(m);
    const got = cooccurrenceScores(model, history);
    // Assert: binning moves each value by at most τ/16, a distance by at most τ/8, and the kernel's
    // slope is at most e^(−1/2)/τ, so each k(j, i) moves by at most e^(−1/2)/8.
    if (model.kernel.kind !== 'attribute') throw new Error('expected an attribute kernel');
    const { factor } = model.kernel;
    expect(model.kernel.binValues.length).toBeLessThan(n);
    const mass = history.reduce((t, h) => t + h.weight, 0);
    const want = bruteForce(m, history, []);
    want.forEach((w, i) => {
      expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(
        (Math.exp(-0.5) / 8) * mass * factor[i]! + 1e-5,
      );
    });
  });

  it('scores only the pairs without a kernel, and nothing for an empty history', () => {
    const model = createCooccurrenceModel(input());
    expect(Array.from(cooccurrenceScores(model, []))).toEqual([0, 0, 0]);
    const scores = cooccurrenceScores(model, [{ row: 0, weight: 2 }]);
    expect(scores[1]).toBeCloseTo(2 * pairWeight(model, 0, 1), 5);
    expect(scores[0]).toBe(0);
    expect(scores[2]).toBe(0);
  });

  it('gives a category kernel nothing without the catalog categories', () => {
    const model = createCooccurrenceModel(input({ kernel: { kind: 'category', gamma: 1 } }));
    const scores = cooccurrenceScores(model, [{ row: 2, weight: 1 }], null);
    expect(Array.from(scores)).toEqual([0, 0, 0]);
  });
});
