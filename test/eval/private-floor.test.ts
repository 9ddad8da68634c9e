import { describe, expect, it } from 'vitest';
import { privateFloorContext } from '../../src/eval/hearth-method.ts';

describe('private floor', () => {
  it('knows item content only: no popularity, collab or sequence model', () => {
    // Arrange
    const items = [
      { id: 'a', title: 'A', categories: ['x'], text: 'a x' },
      { id: 'b', title: 'B', categories: ['y'], text: 'b y' },
    ];
    const vectors = Float32Array.from([1, 0, 0, 1]);
    // Act
    const context = privateFloorContext(items, vectors, 2);
    // Assert
    expect(context.collab).toBeNull();
    expect(context.sequence).toBeNull();
    expect(Array.from(context.popularity)).toEqual([0, 0]);
    expect(context.coldCount).toBe(0);
  });
});
