import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../src/protocol/catalog.ts';
import { VectorIndex } from '../../src/search/vector-index.ts';
import { catalogEngineSource, toEngineItem } from '../../src/worker/catalog-source.ts';

const item = (id: string, title: string, category: string, tags: string[]): CatalogItem => ({
  id,
  title,
  description: '',
  tags,
  category,
  available: true,
  extra: {},
});

function fakeCatalog(items: CatalogItem[], vectors: number[][]) {
  let index = VectorIndex.build(
    items.map((it, i) => ({ id: it.id, vector: vectors[i] ?? [], category: it.category })),
    { dims: 2 },
  );
  const byId = new Map(items.map((it) => [it.id, it]));
  return {
    ready: async () => undefined,
    getIndex: () => index,
    getItem: (id: string) => byId.get(id),
    modelKey: () => 'enc@1',
    replaceIndex(rows: { id: string; vector: number[] }[]) {
      index = VectorIndex.build(rows, { dims: 2 });
    },
  };
}

describe('catalog → engine adapter', () => {
  it('maps a catalog item to the engine item (category then tags, lower-cased text)', () => {
    // Act
    const engineItem = toEngineItem(item('a', 'Dracula', 'Horror', ['Vampires']));
    // Assert
    expect(engineItem).toEqual({
      id: 'a',
      title: 'Dracula',
      categories: ['Horror', 'Vampires'],
      text: 'dracula horror vampires',
      available: true,
    });
  });

  it('gives items, unit vectors and a search in the index row order, and rebuilds only on a new index', async () => {
    // Arrange
    const catalog = fakeCatalog(
      [item('a', 'A', 'x', []), item('b', 'B', 'y', [])],
      [
        [3, 4],
        [0, 2],
      ],
    );
    const source = catalogEngineSource(catalog);
    // Act
    const first = await source.snapshot();
    const again = await source.snapshot();
    catalog.replaceIndex([{ id: 'b', vector: [1, 0] }]);
    const next = await source.snapshot();
    // Assert
    expect(first.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(Array.from(first.vectors)).toEqual([expect.closeTo(0.6), expect.closeTo(0.8), 0, 1]);
    expect(first.search?.topK(Float32Array.from([0, 1]), 1)).toEqual([1]);
    expect(first.search?.topK(Float32Array.from([0, 1]), 1, (row) => row === 1)).toEqual([0]);
    expect(again).toBe(first);
    expect(next.version).not.toBe(first.version);
    expect(next.items.map((i) => i.id)).toEqual(['b']);
  });
});
