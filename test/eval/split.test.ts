import { describe, expect, it } from 'vitest';
import { itemKnnTopK, knnIndex, popularityTopK } from '../../src/eval/baselines.ts';
import { userCounts } from '../../src/eval/hearth-method.ts';
import { leaveLastOut, removeColdItems, validationSplit } from '../../src/eval/split.ts';
import { seededRng } from '../../src/shared/rng.ts';

const x = (user: string, item: string, timestamp: number) => ({ user, item, rating: 4, timestamp });

describe('leave-last-out split and baselines', () => {
  const interactions = [
    x('u1', 'a', 3),
    x('u1', 'b', 1),
    x('u1', 'c', 2),
    x('u2', 'a', 1),
    x('u2', 'c', 5),
    x('u3', 'b', 1),
  ];

  it('holds out the latest interaction by timestamp, trains on the rest in time order', () => {
    const split = leaveLastOut(interactions);
    const ids = (rows: readonly number[]) => rows.map((r) => split.itemIds[r]);
    expect(ids(split.train[0]!)).toEqual(['b', 'c']);
    expect(split.itemIds[split.test[0]!]).toBe('a');
    expect(split.test[2]).toBe(-1);
    const validation = validationSplit(split);
    expect(ids(validation.train[0]!)).toEqual(['b']);
    expect(split.itemIds[validation.test[0]!]).toBe('c');
  });

  it('popularity and item-kNN never return training items', () => {
    const split = leaveLastOut(interactions);
    const pop = popularityTopK(split, userCounts(split), 0, 5);
    expect(pop.some((r) => split.train[0]!.includes(r))).toBe(false);
    const knn = itemKnnTopK(knnIndex(split), 1, 5);
    expect(knn.some((r) => split.train[1]!.includes(r))).toBe(false);
  });

  it('cold items vanish from every training sequence', () => {
    const split = leaveLastOut(interactions);
    const { split: cold, cold: items } = removeColdItems(split, 0.5, seededRng(3));
    for (const rows of cold.train) for (const r of rows) expect(items.has(r)).toBe(false);
  });
});
