/**
 * What the private models read of a catalog: ids, categories and numeric fields (raw rows as the
 * thin server stores them, or sanitised items with `extra`), and when an attribute or the
 * categories cover enough of the items to serve as a kernel.
 */
import { describe, expect, it } from 'vitest';
import {
  attributeValues,
  hasCategories,
  type PublicItem,
  publicItemOf,
} from '../../src/models/public-items.ts';

describe('publicItemOf', () => {
  it('reads the category, the categories and every numeric field of a raw row', () => {
    const item = publicItemOf({
      id: 7,
      category: ' Drama ',
      categories: ['Crime', '', 'Drama'],
      year: '1995',
      price: 12.5,
      title: 'Heat',
      rating: 'NaN',
    });
    expect(item).toEqual({
      id: '7',
      categories: ['Drama', 'Crime'],
      numbers: { year: 1995, price: 12.5 },
    });
  });

  it('reads numbers under `extra` of a sanitised item, the top level winning', () => {
    const item = publicItemOf({
      id: 'a',
      categories: [],
      extra: { year: 1990, pages: 300 },
      pages: 2,
    });
    expect(item?.numbers).toEqual({ year: 1990, pages: 2 });
  });

  it('returns null for a row without a usable id', () => {
    expect(publicItemOf({ id: '' })).toBeNull();
    expect(publicItemOf({ title: 'x' })).toBeNull();
    expect(publicItemOf(['a'])).toBeNull();
    expect(publicItemOf(null)).toBeNull();
  });
});

function catalog(items: PublicItem[]): Map<string, PublicItem> {
  return new Map(items.map((i) => [i.id, i]));
}

describe('attributeValues and hasCategories', () => {
  const items = catalog([
    { id: 'a', categories: ['x'], numbers: { year: 1990 } },
    { id: 'b', categories: [], numbers: { year: 2000 } },
    { id: 'c', categories: ['y'], numbers: { year: 1980 } },
    { id: 'd', categories: [], numbers: {} },
  ]);

  it('gives each id its value and the median of the known values to the others', () => {
    expect(Array.from(attributeValues(['a', 'b', 'c', 'd', 'zz'], items, 'year') ?? [])).toEqual([
      1990, 2000, 1980, 1990, 1990,
    ]);
  });

  it('returns null when fewer than half the ids have the field', () => {
    expect(attributeValues(['a', 'd', 'zz'], items, 'year')).toBeNull();
    expect(attributeValues(['a', 'b'], items, 'pages')).toBeNull();
  });

  it('says the categories cover the ids from half of them on', () => {
    expect(hasCategories(['a', 'b'], items)).toBe(true);
    expect(hasCategories(['a', 'b', 'd'], items)).toBe(false);
    expect(hasCategories(['b', 'd'], items)).toBe(false);
  });
});
