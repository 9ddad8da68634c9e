/**
 * The served private item-item model's wire form: what the collector builds decodes on the device
 * to the same model, and a damaged entry is refused whole with a CooccurrenceModelError that says
 * what is wrong (never another error, never a partly decoded model).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CooccurrenceModelError, pairWeight } from '../../src/engine/cooccurrence-model.ts';
import {
  cooccurrenceModelOf,
  cooccurrenceModelOfEntry,
} from '../../src/models/cooccurrence-format.ts';
import type { CooccurrenceLayout } from '../../src/protocol/cooccurrence.ts';
import type { ModelEntry } from '../../src/protocol/model.ts';
import { servedCooccurrenceEntry, syntheticServed } from '../../support/synthetic-releases.ts';

const served = syntheticServed(300, 11);
const entry = servedCooccurrenceEntry(served, 4);

/** A small valid layout (3 items, year kernel, one pair) and its flat vector. */
function small(): { layout: CooccurrenceLayout; params: Float32Array } {
  return {
    layout: {
      kind: 'cooccurrence',
      format: 1,
      itemIds: ['a', 'b', 'c'],
      kernel: { kind: 'attribute', field: 'year', tau: 3, gamma: 0.5 },
      pairs: { count: 1, mix: 10, alpha: 0.7, beta: 0.3, floor: 1, scale: 0.1 },
      sources: [{ taskId: 't', kind: 'item-histogram', reports: 10, rho: 0.5, sigma: 3 }],
      epsilon: 4,
      delta: 1e-6,
    },
    // popularity ×3, years ×3, first, second, count
    params: Float32Array.from([5, 4, 3, 1990, 1991, 2005, 0, 2, 7]),
  };
}

describe('cooccurrence model wire form', () => {
  it('decodes what the collector built to the same items, popularity, kernel and pairs', () => {
    // Act
    const model = cooccurrenceModelOfEntry(entry);
    // Assert
    const n = served.layout.itemIds.length;
    const m = served.layout.pairs.count;
    expect(m).toBeGreaterThan(0);
    expect(model.version).toBe('cooccurrence.served-v4');
    expect(model.itemIds).toEqual(served.layout.itemIds);
    expect(Array.from(model.popularity)).toEqual(Array.from(served.params.subarray(0, n)));
    expect(model.kernel.kind).toBe('attribute');
    if (model.kernel.kind === 'attribute')
      expect(Array.from(model.kernel.values)).toEqual(Array.from(served.params.subarray(n, 2 * n)));
    expect(model.pairNeighbours.length).toBe(2 * m); // both directions of every pair
    const first = served.params[2 * n]!;
    const second = served.params[2 * n + m]!;
    expect(pairWeight(model, first, second)).toBeGreaterThan(0);
    expect(pairWeight(model, second, first)).toBeGreaterThan(0);
  });

  it('refuses an entry without a private item-item layout, naming the model', () => {
    const { layout: _dropped, ...bare } = entry;
    expect(() => cooccurrenceModelOfEntry(bare)).toThrow(CooccurrenceModelError);
    expect(() => cooccurrenceModelOfEntry(bare)).toThrow(
      /^model 'cooccurrence\.served' v4 has no private item-item layout/,
    );
  });

  it('refuses a layout that repeats an item id', () => {
    const layout = { ...entry.layout, itemIds: ['x', 'x'] } as ModelEntry['layout'];
    expect(() => cooccurrenceModelOfEntry({ ...entry, layout })).toThrow(/itemIds repeats an id/);
  });

  it('refuses data that is not a whole number of f32 values', () => {
    const data = Buffer.from([1, 2, 3, 4, 5, 6]).toString('base64');
    expect(() => cooccurrenceModelOfEntry({ ...entry, data })).toThrow(
      "model 'cooccurrence.served' v4: its data is not a whole number of f32 values.",
    );
  });

  it('refuses data that is not base64 instead of reading the damaged characters as zeros', () => {
    // Arrange: the first value's characters replaced, the length kept.
    const damaged = [`****${entry.data.slice(4)}`, `${entry.data.slice(0, -4)}A`];
    for (const data of damaged) {
      // Act / Assert
      expect(() => cooccurrenceModelOfEntry({ ...entry, data })).toThrow(CooccurrenceModelError);
      expect(() => cooccurrenceModelOfEntry({ ...entry, data })).toThrow(
        "model 'cooccurrence.served' v4: its data is not base64; the collector must republish it.",
      );
    }
  });

  it('refuses a vector whose length the layout does not give', () => {
    const { layout, params } = small();
    expect(() => cooccurrenceModelOf(layout, params.subarray(0, 8), 'v1')).toThrow(
      "private item-item model 'v1' has 8 values, its layout needs 9; the collector must republish it.",
    );
  });

  it.each([
    ['a negative popularity', 0, -1, 'a popularity value is negative or not finite'],
    ['a non-finite popularity', 1, Number.NaN, 'a popularity value is negative or not finite'],
    [
      'a non-finite year',
      4,
      Number.POSITIVE_INFINITY,
      "an attribute value of 'year' is not finite",
    ],
    ['a pair row past the items', 7, 3, 'pair 0 names rows 0 and 3, outside 0..2 or equal'],
    ['a pair of one item with itself', 7, 0, 'pair 0 names rows 0 and 0, outside 0..2 or equal'],
    ['a fractional pair row', 6, 0.5, 'pair 0 names rows 0.5 and 2, outside 0..2 or equal'],
    ['a zero pair count', 8, 0, 'pair 0 has count 0, expected > 0'],
  ])('refuses %s, naming it', (_case, at, value, message) => {
    // Arrange
    const { layout, params } = small();
    params[at] = value;
    // Act / Assert
    expect(() => cooccurrenceModelOf(layout, params, 'v1')).toThrow(CooccurrenceModelError);
    expect(() => cooccurrenceModelOf(layout, params, 'v1')).toThrow(
      `private item-item model 'v1': ${message}; the collector must rebuild and republish it.`,
    );
  });

  it('decodes a damaged entry or refuses it with a CooccurrenceModelError, never anything else', () => {
    const { layout, params } = small();
    const valid = servedCooccurrenceEntry({ layout, params });
    const damaged = fc.record({
      data: fc.oneof(
        fc.constant(valid.data),
        fc.string({ maxLength: 60 }),
        fc.float32Array({ maxLength: 12 }).map((v) => Buffer.from(v.buffer).toString('base64')),
      ),
      layout: fc.oneof(
        fc.constant(layout),
        fc
          .record({
            count: fc.integer({ min: 0, max: 3 }),
            floor: fc.double({ min: 0.001, max: 10, noNaN: true }),
            kernel: fc.constantFrom<CooccurrenceLayout['kernel']>(
              layout.kernel,
              { kind: 'category', gamma: 1 },
              { kind: 'none' },
            ),
          })
          .map(
            ({ count, floor, kernel }): CooccurrenceLayout => ({
              ...layout,
              kernel,
              pairs: { ...layout.pairs, count, floor },
            }),
          ),
      ),
    });
    fc.assert(
      fc.property(damaged, ({ data, layout: l }) => {
        try {
          const model = cooccurrenceModelOfEntry({ ...valid, data, layout: l });
          expect(model.itemIds).toEqual(['a', 'b', 'c']);
        } catch (error) {
          expect(error).toBeInstanceOf(CooccurrenceModelError);
        }
      }),
      { seed: 5, numRuns: 1_000 },
    );
  });
});
