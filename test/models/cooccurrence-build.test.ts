/**
 * The collector's builder of the private item-item model: which kernel it picks from the catalog's
 * public fields, which released pairs it keeps (only counts above threshold · σ√2), how it refuses
 * released sums that do not fit their task, and what the served layout states.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairWeight } from '../../src/engine/cooccurrence-model.ts';
import {
  buildCooccurrence,
  CooccurrenceBuildError,
  DEFAULT_COOCCURRENCE_PARAMS,
  type HistogramRelease,
  type PairRelease,
  releasedNoise,
  releasedPopularity,
} from '../../src/models/cooccurrence-build.ts';
import { cooccurrenceModelOf } from '../../src/models/cooccurrence-format.ts';
import type { PublicItem } from '../../src/models/public-items.ts';
import { rhoToEpsilon } from '../../src/privacy/rdp.ts';
import { CooccurrenceLayoutSchema, cooccurrenceLength } from '../../src/protocol/cooccurrence.ts';

const IDS = ['a', 'b', 'c', 'd'];

function histogram(sum: readonly number[], sigma = 1, ids = IDS): HistogramRelease {
  return {
    taskId: 'hist-task',
    measurement: { kind: 'item-histogram', items: [...ids], maxItems: 50 },
    sigma,
    rho: 0.3,
    reports: 1_000,
    sum,
  };
}

function pairs(
  cells: [number, number][],
  sum: readonly number[],
  sigma: number,
  items = IDS,
  scale = 8,
): PairRelease {
  return {
    taskId: 'pair-task',
    measurement: {
      kind: 'pair-counts',
      items: [...items],
      cells,
      maxEvents: 20,
      window: 10,
      decay: 0.9,
      clip: 3,
      scale,
    },
    sigma,
    rho: 0.7,
    reports: 1_000,
    sum,
  };
}

function catalog(
  fields: Record<string, { year?: number; categories?: string[] }>,
): Map<string, PublicItem> {
  return new Map(
    Object.entries(fields).map(([id, f]): [string, PublicItem] => [
      id,
      {
        id,
        categories: f.categories ?? [],
        numbers: f.year === undefined ? {} : { year: f.year },
      },
    ]),
  );
}

const POPULAR = [100, 80, 60, 40];

describe('buildCooccurrence: the kernel', () => {
  it('uses the year kernel when at least half the items have a year, the median for the others', () => {
    // Arrange: two of four items have a year.
    const input = {
      histogram: histogram(POPULAR),
      catalog: catalog({ a: { year: 1990 }, b: { year: 2000 }, c: {}, d: {} }),
      delta: 1e-6,
    };
    // Act
    const { layout, params } = buildCooccurrence(input);
    // Assert
    expect(layout.kernel).toEqual({ kind: 'attribute', field: 'year', tau: 3, gamma: 0.5 });
    expect(Array.from(params.subarray(4, 8))).toEqual([1990, 2000, 1995, 1995]);
  });

  it('falls back to the category kernel when fewer than half the items have the attribute', () => {
    const input = {
      histogram: histogram(POPULAR),
      catalog: catalog({
        a: { year: 1990, categories: ['x'] },
        b: { categories: ['y'] },
        c: {},
        d: {},
      }),
      delta: 1e-6,
    };
    const { layout, params } = buildCooccurrence(input);
    expect(layout.kernel).toEqual({ kind: 'category', gamma: 0.5 });
    expect(params.length).toBe(4); // popularity only: no attribute values travel
  });

  it('uses no kernel when neither the attribute nor the categories cover half the items', () => {
    const sparse = catalog({ a: { categories: ['x'] }, b: {}, c: {}, d: {} });
    const noCategoryKernel = { ...DEFAULT_COOCCURRENCE_PARAMS, categoryKernel: false };
    const covered = catalog({ a: { categories: ['x'] }, b: { categories: ['y'] } });
    expect(
      buildCooccurrence({ histogram: histogram(POPULAR), catalog: sparse, delta: 1e-6 }).layout
        .kernel,
    ).toEqual({ kind: 'none' });
    expect(
      buildCooccurrence({
        histogram: histogram(POPULAR),
        catalog: covered,
        params: noCategoryKernel,
        delta: 1e-6,
      }).layout.kernel,
    ).toEqual({ kind: 'none' });
  });

  it('skips the attribute kernel when the parameters name no attribute', () => {
    const input = {
      histogram: histogram(POPULAR),
      catalog: catalog({
        a: { year: 1, categories: ['x'] },
        b: { year: 2, categories: ['x'] },
        c: { year: 3 },
        d: { year: 4 },
      }),
      params: { ...DEFAULT_COOCCURRENCE_PARAMS, attribute: null },
      delta: 1e-6,
    };
    expect(buildCooccurrence(input).layout.kernel.kind).toBe('category');
  });
});

describe('buildCooccurrence: the pairs', () => {
  // σ√2 = 5, so the default threshold 2 keeps released counts above 10.
  const sigma = 5 / Math.SQRT2;
  const cells: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
    [2, 3],
    [0, 3],
  ];

  it('keeps only the cells whose released count exceeds threshold · σ√2, in weight units', () => {
    // Arrange
    const sum = [10.1, 9.9, -40, 200, 0];
    // Act
    const { layout, params } = buildCooccurrence({
      histogram: histogram(POPULAR),
      pairs: pairs(cells, sum, sigma),
      catalog: new Map(),
      delta: 1e-6,
    });
    // Assert: the popularity part is n = 4 values, no attribute, then first, second, counts.
    expect(releasedNoise(sigma)).toBeCloseTo(5, 12);
    expect(layout.pairs.count).toBe(2);
    expect(Array.from(params.subarray(4))).toEqual(
      [0, 2, 1, 3, 10.1 / 8, 200 / 8].map(Math.fround),
    );
    expect(params.length).toBe(cooccurrenceLength(layout));
  });

  it('keeps exactly the cells above the threshold for any released sums (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -60, max: 60 }), { minLength: 5, maxLength: 5 }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        (sum, s, threshold) => {
          const params = { ...DEFAULT_COOCCURRENCE_PARAMS, threshold };
          const built = buildCooccurrence({
            histogram: histogram(POPULAR),
            pairs: pairs(cells, sum, s),
            catalog: new Map(),
            params,
            delta: 1e-6,
          });
          const kept = cells.filter((_, c) => sum[c]! > threshold * s * Math.SQRT2);
          const m = built.layout.pairs.count;
          const at = 4;
          const got = Array.from({ length: m }, (_, e) => [
            built.params[at + e],
            built.params[at + m + e],
          ]);
          expect(got).toEqual(kept);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it('maps pair items to histogram rows and drops a pair whose item the histogram lacks', () => {
    // The pair task's head order differs from the catalog order; 'zz' is in no histogram.
    const head = ['c', 'a', 'zz'];
    const built = buildCooccurrence({
      histogram: histogram(POPULAR),
      pairs: pairs(
        [
          [0, 1],
          [0, 2],
        ],
        [100, 100],
        sigma,
        head,
      ),
      catalog: new Map(),
      delta: 1e-6,
    });
    expect(built.layout.pairs.count).toBe(1);
    expect(Array.from(built.params.subarray(4, 6))).toEqual([2, 0]); // c, a
  });

  it('scales the pair weights so that the strongest weighs `mix` on the device', () => {
    // Arrange
    const built = buildCooccurrence({
      histogram: histogram(POPULAR),
      pairs: pairs(cells, [40, 90, 60, 200, 15], sigma),
      catalog: new Map(),
      delta: 1e-6,
    });
    // Act
    const model = cooccurrenceModelOf(built.layout, built.params, 'test');
    const weights: number[] = [];
    for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) weights.push(pairWeight(model, j, i));
    // Assert
    expect(Math.max(...weights)).toBeCloseTo(DEFAULT_COOCCURRENCE_PARAMS.mix, 4);
    expect(built.layout.pairs.floor).toBe(Math.max(1, releasedNoise(1)));
  });

  it('serves no pairs without a pair release', () => {
    const { layout, params } = buildCooccurrence({
      histogram: histogram(POPULAR),
      catalog: new Map(),
      delta: 1e-6,
    });
    expect(layout.pairs).toMatchObject({ count: 0, scale: 0 });
    expect(layout.sources.map((s) => s.kind)).toEqual(['item-histogram']);
    expect(params.length).toBe(4);
  });
});

describe('buildCooccurrence: what the layout states', () => {
  it('serves the denoised popularity and the ε of both releases together', () => {
    // Arrange
    const h = histogram([100, -3, 7, 0], 2);
    const p = pairs([[0, 1]], [500], 2);
    // Act
    const { layout, params } = buildCooccurrence({
      histogram: h,
      pairs: p,
      catalog: new Map(),
      delta: 1e-6,
    });
    // Assert
    expect(CooccurrenceLayoutSchema.safeParse(layout).success).toBe(true);
    expect(Array.from(params.subarray(0, 4))).toEqual(Array.from(releasedPopularity(h)));
    expect(params.subarray(0, 4).every((v) => v >= 0)).toBe(true);
    expect(layout.epsilon).toBeCloseTo(rhoToEpsilon(0.3 + 0.7, 1e-6), 9);
    expect(layout.sources).toEqual([
      { taskId: 'hist-task', kind: 'item-histogram', reports: 1_000, rho: 0.3, sigma: 2 },
      { taskId: 'pair-task', kind: 'pair-counts', reports: 1_000, rho: 0.7, sigma: 2 },
    ]);
  });
});

describe('buildCooccurrence: released sums that do not fit their task', () => {
  const build = (h: HistogramRelease, p?: PairRelease) => () =>
    buildCooccurrence({ histogram: h, pairs: p ?? null, catalog: new Map(), delta: 1e-6 });

  it('names the task and the lengths when a histogram sum is too short', () => {
    expect(build(histogram([1, 2, 3]))).toThrow(CooccurrenceBuildError);
    expect(build(histogram([1, 2, 3]))).toThrow(
      'task hist-task released 3 values, its measurement has 4; collect it again.',
    );
  });

  it('names the task and the entry when a histogram value is not finite', () => {
    expect(build(histogram([1, 2, Number.NaN, 4]))).toThrow(
      'task hist-task: entry 2 is not finite.',
    );
  });

  it('names the pair task when its sum does not fit its cells', () => {
    const long = pairs([[0, 1]], [1, 2], 1);
    const infinite = pairs([[0, 1]], [Number.POSITIVE_INFINITY], 1);
    expect(build(histogram(POPULAR), long)).toThrow(
      'task pair-task released 2 values, its measurement has 1; collect it again.',
    );
    expect(build(histogram(POPULAR), infinite)).toThrow('task pair-task: entry 0 is not finite.');
  });
});
