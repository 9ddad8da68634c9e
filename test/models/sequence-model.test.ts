import { describe, expect, it } from 'vitest';
import { SequenceModelError, sequenceScores } from '../../src/engine/sequence-model.ts';
import { parseSequence, serializeSequence } from '../../src/models/sequence-format.ts';
import { DEFAULT_SEQUENCE_OPTIONS, trainSequenceModel } from '../../src/models/sequence-train.ts';

const ids = ['a', 'b', 'c', 'd'];
const plain = { window: 1, pairDecay: 1, backward: 0, alpha: 0, beta: 0, topK: 10 };

/** Weight of the edge a → b, or 0. */
function edge(model: ReturnType<typeof trainSequenceModel>, a: number, b: number): number {
  for (let e = model.offsets[a]!; e < model.offsets[a + 1]!; e++)
    if (model.neighbours[e] === b) return model.weights[e]!;
  return 0;
}

describe('sequence model', () => {
  it('counts directed successor pairs inside the window', () => {
    // Arrange
    const sequences = [
      [0, 1, 2],
      [0, 1],
      [3, 0],
    ];
    // Act
    const model = trainSequenceModel(ids, sequences, plain);
    // Assert
    expect(edge(model, 0, 1)).toBe(2);
    expect(edge(model, 1, 2)).toBe(1);
    expect(edge(model, 3, 0)).toBe(1);
    expect(edge(model, 0, 2)).toBe(0); // outside window 1
    expect(edge(model, 1, 0)).toBe(0); // backward off
  });

  it('decays distant pairs, adds the backward direction and normalises by counts', () => {
    // Arrange
    const options = { ...plain, window: 2, pairDecay: 0.5, backward: 0.25, alpha: 1, beta: 0 };
    // Act
    const model = trainSequenceModel(ids, [[0, 1, 2]], options);
    // Assert: 0 → 2 is two steps apart (0.5), 2 → 0 is backward (0.25 × 0.5); every count is 1
    expect(edge(model, 0, 2)).toBeCloseTo(0.5);
    expect(edge(model, 2, 0)).toBeCloseTo(0.125);
    expect(edge(model, 0, 1)).toBeCloseTo(1);
  });

  it('keeps only the top-k neighbours per item, largest first', () => {
    // Arrange
    const sequences = [
      [0, 1],
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 3],
      [0, 3],
    ];
    // Act
    const model = trainSequenceModel(ids, sequences, { ...plain, topK: 2 });
    // Assert
    expect([...model.neighbours.subarray(model.offsets[0]!, model.offsets[1]!)]).toEqual([3, 1]);
  });

  it('scores items by the weighted sum of edges from the history', () => {
    // Arrange
    const model = trainSequenceModel(
      ids,
      [
        [0, 1],
        [2, 1],
        [2, 3],
      ],
      plain,
    );
    // Act
    const scores = sequenceScores(model, [
      { row: 0, weight: 2 },
      { row: 2, weight: 0.5 },
      { row: 42, weight: 9 },
    ]);
    // Assert
    expect([...scores]).toEqual([0, 2.5, 0, 0.5]);
  });

  it('round-trips through the binary format and rejects damaged files', () => {
    // Arrange
    const model = trainSequenceModel(
      ids,
      [
        [0, 1, 2, 3],
        [3, 2, 1],
      ],
      DEFAULT_SEQUENCE_OPTIONS,
    );
    // Act
    const bytes = serializeSequence(model);
    const back = parseSequence(bytes);
    // Assert
    expect(back.itemIds).toEqual(ids);
    expect([...back.offsets]).toEqual([...model.offsets]);
    expect([...back.neighbours]).toEqual([...model.neighbours]);
    expect([...back.weights]).toEqual([...model.weights]);
    expect(() => parseSequence(bytes.subarray(0, bytes.length - 4))).toThrow(SequenceModelError);
    expect(() => parseSequence(new Uint8Array(16))).toThrow(/bad magic/);
  });
});

describe('topIndices', () => {
  it('returns the k largest in descending order, lower index first on ties, skipping NaN', async () => {
    const { topIndices } = await import('../../src/shared/vector-math.ts');
    expect(topIndices([3, Number.NaN, 5, 5, 1, 4], 3)).toEqual([2, 3, 5]);
    expect(topIndices([1, 1, 1, 1], 2)).toEqual([0, 1]);
    expect(topIndices([5, 4, 3], 2, (i) => i === 0)).toEqual([1, 2]);
    expect(
      topIndices(
        Float32Array.from({ length: 1000 }, (_, i) => i),
        3,
      ),
    ).toEqual([999, 998, 997]);
  });
});
