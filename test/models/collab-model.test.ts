import { describe, expect, it } from 'vitest';
import {
  type CollabModel,
  CollabModelError,
  collabScores,
  collabUserVector,
} from '../../src/engine/collab-model.ts';
import { parseCollab, serializeCollab } from '../../src/models/collab-format.ts';
import { collabUserGradient, createCollabModel } from '../../src/models/collab-gradient.ts';
import { trainCollab } from '../../src/models/collab-train.ts';
import { seededRng } from '../../src/shared/rng.ts';

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
const options = { decay: 0.8, longTermWeight: 0.1, negatives: 5, maxPositions: 10, l2: 0.01 };

/** Loss with the same sampled negatives: same seed gives the same draws. */
function lossAt(model: CollabModel, seq: number[], seed: number): number {
  return collabUserGradient(model, seq, options, seededRng(seed)).loss;
}

describe('collab model', () => {
  it('user vector is the weighted mean of history rows, normalised by the sum of |weights|', () => {
    // Arrange
    const model = createCollabModel(ids, 2, seededRng(1));
    model.history.set([1, 0, 0, 1], 0);
    // Act
    const u = collabUserVector(model, [
      { row: 0, weight: 3 },
      { row: 1, weight: 1 },
      { row: 99, weight: 5 },
    ]);
    // Assert
    expect([...u]).toEqual([0.75, 0.25]);
    expect([...collabUserVector(model, [])]).toEqual([0, 0]);
  });

  it('scores are Q·u + bias in row order', () => {
    const model = createCollabModel(['x', 'y'], 2, seededRng(1));
    model.target.set([1, 2, -1, 0]);
    model.bias.set([0.5, 0]);
    expect([...collabScores(model, new Float32Array([1, 1]))]).toEqual([3.5, -1]);
  });

  it('analytic gradient matches finite differences', () => {
    // Arrange
    const model = createCollabModel(ids, 3, seededRng(7), 'v', 0.5);
    const seq = [0, 2, 1, 4, 2, 5];
    const { grad } = collabUserGradient(model, seq, options, seededRng(3));
    const h = 1e-3;
    // Act + Assert: probe a few coordinates of each array
    for (const [name, theta, g] of [
      ['history', model.history, grad.history],
      ['target', model.target, grad.target],
      ['bias', model.bias, grad.bias],
    ] as const) {
      for (const i of [0, 4, 7, theta.length - 1].filter((j) => j < theta.length)) {
        const saved = theta[i]!;
        theta[i] = saved + h;
        const up = lossAt(model, seq, 3);
        theta[i] = saved - h;
        const down = lossAt(model, seq, 3);
        theta[i] = saved;
        expect(g[i]!, `${name}[${i}]`).toBeCloseTo((up - down) / (2 * h), 3);
      }
    }
  });

  it('returns zero loss and gradient for a user with one event', () => {
    const model = createCollabModel(ids, 2, seededRng(1));
    const { loss, grad } = collabUserGradient(model, [3], { ...options, l2: 0 }, seededRng(1));
    expect(loss).toBe(0);
    expect(grad.history.every((v) => v === 0)).toBe(true);
  });

  it('central training learns a repeated next-item pattern', () => {
    // Arrange: every user watches a → b → c; after a and b, c should rank first
    const sequences = Array.from({ length: 40 }, () => [0, 1, 2]);
    // Act
    const model = trainCollab(
      ids,
      sequences,
      {
        dims: 4,
        epochs: 40,
        batchUsers: 8,
        learningRate: 0.05,
        version: 't',
        gradient: { ...options, l2: 0 },
      },
      seededRng(5),
    );
    const scores = collabScores(
      model,
      collabUserVector(model, [
        { row: 0, weight: 0.5 },
        { row: 1, weight: 1 },
      ]),
    );
    // Assert
    const best = [...scores.keys()].filter((r) => r > 1).sort((x, y) => scores[y]! - scores[x]!)[0];
    expect(best).toBe(2);
  });

  it('serializes and parses back bit-exactly, and rejects a corrupt file', () => {
    const model = createCollabModel(ids, 3, seededRng(2), 'collab-test');
    model.bias[2] = 1.25;
    const parsed = parseCollab(serializeCollab(model));
    expect(parsed.version).toBe('collab-test');
    expect(parsed.itemIds).toEqual(ids);
    expect([...parsed.history]).toEqual([...model.history]);
    expect([...parsed.target]).toEqual([...model.target]);
    expect([...parsed.bias]).toEqual([...model.bias]);
    const bytes = serializeCollab(model);
    expect(() => parseCollab(bytes.subarray(0, bytes.length - 4))).toThrow(CollabModelError);
    expect(() => parseCollab(new Uint8Array(16))).toThrow(/bad magic/);
  });
});
