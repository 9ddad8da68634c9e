import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/shared/rng.ts';
import { DEMO_TASTES, simulateDemoVisitors, tastesOf } from '../../src/sim/demo-visitors.ts';

const CATALOG = JSON.parse(readFileSync('public/demo-catalog.json', 'utf8')) as {
  id: string;
  category: string;
  author: string;
}[];
const CATEGORY = new Map(CATALOG.map((b) => [b.id, b.category]));

describe('simulated visitors of the demo', () => {
  it('gives the same visitors for the same seed and other ones for another', () => {
    // Arrange / Act
    const a = simulateDemoVisitors(CATALOG, 50, seededRng(1));
    const b = simulateDemoVisitors(CATALOG, 50, seededRng(1));
    const c = simulateDemoVisitors(CATALOG, 50, seededRng(2));
    // Assert
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('likes between minLikes and maxLikes distinct catalog books per visitor', () => {
    // Arrange / Act
    const visitors = simulateDemoVisitors(CATALOG, 200, seededRng(3));
    // Assert
    for (const v of visitors) {
      expect(v.likes.length).toBeGreaterThanOrEqual(DEMO_TASTES.minLikes);
      expect(v.likes.length).toBeLessThanOrEqual(DEMO_TASTES.maxLikes);
      expect(new Set(v.likes).size).toBe(v.likes.length);
      expect(v.likes.every((id) => CATEGORY.has(id))).toBe(true);
    }
  });

  it("draws most likes from the visitor's taste (noise and same-author likes aside)", () => {
    // Arrange / Act
    const visitors = simulateDemoVisitors(CATALOG, 300, seededRng(4), {
      ...DEMO_TASTES,
      sameAuthor: 0,
    });
    // Assert: with 15% noise, about 85% in taste (plus the noise that lands in it by chance).
    const likes = visitors.flatMap((v) =>
      v.likes.map((id) => v.taste.includes(CATEGORY.get(id) ?? '')),
    );
    const share = likes.filter(Boolean).length / likes.length;
    expect(share).toBeGreaterThan(0.8);
    expect(share).toBeLessThan(0.95);
  });

  it("groups the catalog's categories into the configured tastes and keeps the rest alone", () => {
    // Arrange
    const books = [
      { id: '1', category: 'Horror' },
      { id: '2', category: 'Mystery' },
      { id: '3', category: 'Gardening' },
      { id: '4' },
    ];
    // Act / Assert
    expect(tastesOf(books, DEMO_TASTES)).toEqual([['Horror', 'Mystery'], ['Gardening']]);
  });

  it('returns no visitor for a catalog of fewer than two books', () => {
    expect(simulateDemoVisitors([{ id: 'only' }], 10, seededRng(5))).toEqual([]);
  });
});
