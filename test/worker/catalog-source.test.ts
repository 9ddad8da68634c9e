import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/catalog/apply.ts';
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

  it('holds each catalog vector once: the snapshot and the catalog map are views of the index', async () => {
    // Arrange: dims a multiple of 4, so the index rows have no padding
    const vectors = new Map([
      ['h1', Float32Array.from([1, 0, 0, 0])],
      ['h2', Float32Array.from([0, 1, 0, 0])],
    ]);
    const stored = [
      { ...item('a', 'A', 'x', []), gen: 1, textHash: 'h1' },
      { ...item('b', 'B', 'y', []), gen: 1, textHash: 'h2' },
    ];
    const index = buildIndex(stored, vectors, 4);
    const byId = new Map(stored.map((it) => [it.id, it]));
    const source = catalogEngineSource({
      ready: async () => undefined,
      getIndex: () => index,
      getItem: (id: string) => byId.get(id),
      modelKey: () => 'enc@1',
    });
    // Act
    const snapshot = await source.snapshot();
    // Assert
    const buffer = index.rowMajorView()?.buffer;
    expect(buffer).toBeDefined();
    expect(snapshot.vectors.buffer).toBe(buffer);
    expect(vectors.get('h2')?.buffer).toBe(buffer);
    expect(Array.from(vectors.get('h2') ?? [])).toEqual([0, 1, 0, 0]);
  });
});
