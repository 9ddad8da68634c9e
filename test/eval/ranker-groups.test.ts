import { describe, expect, it } from 'vitest';
import { createEngineContext } from '../../src/engine/context.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import { rankerGroupsByUser } from '../../src/eval/hearth-method.ts';
import { leaveLastOut, validationSplit } from '../../src/eval/split.ts';
import { bookContext } from '../engine/fixture.ts';

const x = (user: string, item: string, timestamp: number) => ({ user, item, rating: 4, timestamp });

/** u1 read six books, u2 three; the context's rows follow the split's item order. */
async function fixture() {
  const split = leaveLastOut([
    ...['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((b, t) => x('u1', b, t)),
    ...['b7', 'b8', 'b1'].map((b, t) => x('u2', b, t)),
  ]);
  const { items, vectors } = await bookContext();
  const order = split.itemIds.map((id) => items.findIndex((i) => i.id === id));
  const dims = vectors.length / items.length;
  const aligned = new Float32Array(order.length * dims);
  order.forEach((from, row) => {
    aligned.set(vectors.subarray(from * dims, (from + 1) * dims), row * dims);
  });
  const context = createEngineContext({
    items: order.map((i) => items[i]!),
    vectors: aligned,
    dims,
  });
  return { split, context, validation: validationSplit(split) };
}

describe('ranker groups from a user’s own events', () => {
  it('holds out each of the last n events in turn, never one without history', async () => {
    // Arrange
    const { context, validation } = await fixture();
    // Act
    const one = rankerGroupsByUser(context, validation, DEFAULT_USER_STATE_CONFIG, 1);
    const three = rankerGroupsByUser(context, validation, DEFAULT_USER_STATE_CONFIG, 3);
    // Assert: u1 holds out b5, b4, b3; u2 holds out b8 after b7, then has no history left.
    expect(three.get(0)?.length).toBe(3);
    expect(one.get(0)?.length).toBe(1);
    expect(three.get(0)?.[0]).toEqual(one.get(0)?.[0]);
    expect(three.get(1)?.length).toBe(1);
    for (const g of three.get(0) ?? []) {
      expect(g.positive).toBeGreaterThanOrEqual(0);
      expect(g.positive).toBeLessThan(g.count);
    }
  });
});
