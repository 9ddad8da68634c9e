/**
 * Sensitivity bounds of the private statistics (issue 13): a visitor with 10,000 events contributes
 * no more than one with L, for any history and any rounding randomness. The item histogram is 0/1
 * with at most maxItems ones (L2 ≤ √maxItems); the pair counts are integers with L2 ≤ clip·scale;
 * `reportSensitivity`, which sizes the noise, is exactly that bound; and what lies before the last
 * maxItems distinct items (histogram) or the last maxEvents events (pairs) changes nothing.
 * Properties are seeded (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reportSensitivity } from '../../src/privacy/dap-accounting.ts';
import type { DapMeasurement } from '../../src/protocol/dap.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { encodeItemHistogram, pairCountsEncoder } from '../../src/wire/dap-measurement.ts';

type Histogram = Extract<DapMeasurement, { kind: 'item-histogram' }>;
type PairCounts = Extract<DapMeasurement, { kind: 'pair-counts' }>;

const LONG = 10_000;

/** A history of exactly `length` events cycling through `pattern` (ids inside and outside the task). */
function stretch(pattern: readonly string[], length: number): string[] {
  return Array.from({ length }, (_, i) => pattern[i % pattern.length]!);
}

const l2 = (v: readonly number[]) => Math.sqrt(v.reduce((t, x) => t + x * x, 0));

const histogramTask: fc.Arbitrary<Histogram> = fc
  .record({ n: fc.integer({ min: 1, max: 60 }), maxItems: fc.integer({ min: 1, max: 20 }) })
  .map(({ n, maxItems }) => ({
    kind: 'item-histogram',
    items: Array.from({ length: n }, (_, i) => `i${i}`),
    maxItems,
  }));

/** Ids of the task (i0…i69, some past its items) and ids it does not count. */
const anyId = fc.oneof(
  fc.integer({ min: 0, max: 69 }).map((i) => `i${i}`),
  fc.constantFrom('zz', '', 'i-1'),
);

/** Mostly ids of a pair task (i0…i7 at most), so that histories hold many pairs, and some others. */
const pairId = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 9 }).map((i) => `i${i}`), weight: 6 },
  { arbitrary: fc.constantFrom('zz', ''), weight: 1 },
);

const pairTask: fc.Arbitrary<PairCounts> = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    kind: fc.constant('pair-counts' as const),
    items: fc.constant(Array.from({ length: n }, (_, i) => `i${i}`)),
    cells: fc
      .uniqueArray(
        fc
          .tuple(fc.nat(n - 1), fc.nat(n - 1))
          .filter(([a, b]) => a < b)
          .map(([a, b]) => [a, b] as [number, number]),
        { minLength: 1, maxLength: (n * (n - 1)) / 2, selector: ([a, b]) => a * n + b },
      )
      .map((cells) => cells.sort((x, y) => x[0] - y[0] || x[1] - y[1])),
    maxEvents: fc.integer({ min: 2, max: 40 }),
    window: fc.integer({ min: 1, max: 12 }),
    decay: fc.double({ min: 0.05, max: 1, noNaN: true }),
    clip: fc.double({ min: 0.1, max: 6, noNaN: true }),
    scale: fc.integer({ min: 1, max: 16 }),
  }),
);

describe('item histogram: a long history contributes no more than a short one', () => {
  it('is 0/1 with at most maxItems ones and L2 ≤ √maxItems = reportSensitivity, for 10,000 events (property)', () => {
    fc.assert(
      fc.property(histogramTask, fc.array(anyId, { minLength: 1, maxLength: 50 }), (m, pattern) => {
        // Act
        const long = encodeItemHistogram(m, stretch(pattern, LONG));
        const short = encodeItemHistogram(m, pattern);
        // Assert
        expect(reportSensitivity(m)).toBe(Math.sqrt(m.maxItems));
        for (const v of [long, short]) {
          expect(v.length).toBe(m.items.length);
          expect(v.every((x) => x === 0 || x === 1)).toBe(true);
          expect(v.filter((x) => x === 1).length).toBeLessThanOrEqual(m.maxItems);
          expect(l2(v)).toBeLessThanOrEqual(reportSensitivity(m) + 1e-12);
        }
      }),
      { seed: 101, numRuns: 300 },
    );
  });

  it('reaches the bound: a visitor with maxItems distinct items has L2 exactly √maxItems', () => {
    const m: Histogram = { kind: 'item-histogram', items: ['a', 'b', 'c', 'd'], maxItems: 3 };
    expect(l2(encodeItemHistogram(m, stretch(['a', 'b', 'c', 'd'], LONG)))).toBe(
      reportSensitivity(m),
    );
  });

  it('ignores everything before the last maxItems distinct items it counts (property)', () => {
    fc.assert(
      fc.property(
        histogramTask,
        fc.array(anyId, { maxLength: 200 }),
        fc.array(anyId, { maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (m, older, noise, picks) => {
          // Arrange: a recent part that holds maxItems distinct counted items among other events
          // (a task with fewer items than maxItems counts every one of them: nothing to ignore).
          fc.pre(m.items.length >= m.maxItems);
          const it = picks[Symbol.iterator]();
          const from = it.next().value;
          const n = m.items.length;
          const distinct = Array.from({ length: m.maxItems }, (_, k) => m.items[(from + k) % n]!);
          const recent = [...noise];
          for (const id of distinct) recent.splice(it.next().value % (recent.length + 1), 0, id);
          // Act
          const withOlder = encodeItemHistogram(m, [...older, ...recent]);
          const alone = encodeItemHistogram(m, recent);
          // Assert
          expect(withOlder).toEqual(alone);
        },
      ),
      { seed: 102, numRuns: 300 },
    );
  });
});

describe('pair counts: a long history contributes no more than a short one', () => {
  it('has integer entries in 0..scale and integer L2 ≤ clip·scale = reportSensitivity, for 10,000 events and any rng (property)', () => {
    fc.assert(
      fc.property(
        pairTask,
        fc.array(pairId, { minLength: 1, maxLength: 40 }),
        fc.integer(),
        (m, pattern, seed) => {
          // Arrange
          const encode = pairCountsEncoder(m);
          // Act
          const long = encode(stretch(pattern, LONG), seededRng(seed));
          const short = encode(pattern, seededRng(seed));
          // Assert
          expect(reportSensitivity(m)).toBe(m.clip * m.scale);
          for (const v of [long, short]) {
            expect(v.length).toBe(m.cells.length);
            expect(v.every((x) => Number.isInteger(x) && x >= 0 && x <= m.scale)).toBe(true);
            expect(l2(v)).toBeLessThanOrEqual(reportSensitivity(m) + 1e-9);
          }
        },
      ),
      { seed: 103, numRuns: 300 },
    );
  });

  it('stays within the bound whatever the rounding draws, even an adversarial source (property)', () => {
    // A source that always rounds up pushes the norm over clip·scale most; the projection must
    // bring it back.
    fc.assert(
      fc.property(
        pairTask,
        fc.array(pairId, { minLength: 2, maxLength: 40 }),
        fc.constantFrom(0, 1 - 2 ** -53, 0.5),
        (m, history, value) => {
          const v = pairCountsEncoder(m)(history, () => value);
          expect(l2(v)).toBeLessThanOrEqual(reportSensitivity(m) + 1e-9);
        },
      ),
      { seed: 104, numRuns: 300 },
    );
  });

  it('gives the same report for the same rng when only events before the last maxEvents differ (property)', () => {
    fc.assert(
      fc.property(
        pairTask,
        fc.array(pairId, { maxLength: 300 }),
        fc.array(pairId, { maxLength: 300 }),
        fc.array(pairId, { minLength: 40, maxLength: 40 }),
        fc.integer(),
        (m, olderA, olderB, events, seed) => {
          // Arrange: exactly the last maxEvents events are shared; everything before differs.
          const recent = events.slice(events.length - m.maxEvents);
          // Act
          const encode = pairCountsEncoder(m);
          const a = encode([...olderA, ...recent], seededRng(seed));
          const b = encode([...olderB, ...recent], seededRng(seed));
          // Assert
          expect(a).toEqual(b);
        },
      ),
      { seed: 105, numRuns: 300 },
    );
  });
});
