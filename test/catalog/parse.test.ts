import { describe, expect, it } from 'vitest';
import { CatalogEmptyError, CatalogParseError } from '../../src/catalog/errors.ts';
import { CATALOG_LIMITS } from '../../src/catalog/limits.ts';
import { parseCatalogRecords, parseCatalogText } from '../../src/catalog/parse.ts';

describe('parseCatalogText formats', () => {
  it('reads a JSON array with every field and keeps unknown fields in extra', () => {
    // Arrange
    const text = JSON.stringify([
      {
        id: 'b1',
        title: 'Moby Dick',
        description: 'A whale.',
        tags: ['sea', 'classic'],
        category: 'novel',
        price: 9.5,
        currency: 'usd',
        url: 'https://example.org/b1',
        image: '/img/b1.jpg',
        updatedAt: '2024-01-02T00:00:00Z',
        author: 'Herman Melville',
      },
    ]);
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.format).toBe('json');
    expect(result.items).toEqual([
      {
        id: 'b1',
        title: 'Moby Dick',
        description: 'A whale.',
        tags: ['sea', 'classic'],
        category: 'novel',
        price: 9.5,
        currency: 'USD',
        url: 'https://example.org/b1',
        image: '/img/b1.jpg',
        available: true,
        updatedAt: Date.parse('2024-01-02T00:00:00Z'),
        extra: { author: 'Herman Melville' },
      },
    ]);
  });

  it('reads a { version, items } envelope and reports its version', () => {
    // Arrange
    const text = JSON.stringify({ version: 7, items: [{ id: 1, title: 'One' }] });
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.version).toBe('7');
    expect(result.items[0]?.id).toBe('1');
  });

  it('reads JSON Lines and rejects a malformed line with its line number', () => {
    // Arrange
    const text = '{"id":"a","title":"A"}\n\n{"id":"b","title":\n{"id":"c","title":"C"}\n';
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.format).toBe('jsonl');
    expect(result.items.map((i) => i.id)).toEqual(['a', 'c']);
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]?.at).toEqual({ kind: 'line', line: 3 });
    expect(result.rejections[0]?.message).toMatch(/^line 3: \(line\): malformed JSON/);
  });

  it('reads CSV with quoted commas, doubled quotes, newlines in quotes and tags lists', () => {
    // Arrange
    const text =
      'id,Title,description,tags,available,price,author\r\n' +
      '1,"Hello, world","Say ""hi""\nsecond line",a|b|a,no,3.5,Ann\r\n' +
      '2,Plain,,,,,\r\n';
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.format).toBe('csv');
    expect(result.rejections).toEqual([]);
    expect(result.items[0]).toMatchObject({
      id: '1',
      title: 'Hello, world',
      description: 'Say "hi"\nsecond line',
      tags: ['a', 'b'],
      available: false,
      price: 3.5,
      extra: { author: 'Ann' },
    });
    expect(result.items[1]).toMatchObject({ id: '2', title: 'Plain', available: true, extra: {} });
  });
});

describe('parseCatalogText bad inputs', () => {
  it('throws CatalogParseError with line and column for malformed JSON', () => {
    // Arrange
    const text = '[\n  {"id": "a", "title": "A"},\n  {"id": "b" "title": "B"}\n]';
    // Act
    const act = () => parseCatalogText(text);
    // Assert
    expect(act).toThrow(CatalogParseError);
    try {
      act();
    } catch (error) {
      expect((error as CatalogParseError).line).toBe(3);
      expect((error as CatalogParseError).message).toMatch(/line 3, column \d+/);
    }
  });

  it('rejects the CSV record with a broken quote and keeps reading the next lines', () => {
    // Arrange
    const text = 'id,title\n1,Good\n2,"Broken title\n3,Next\n4,"Quoted, fine"\n';
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.items.map((i) => i.id)).toEqual(['1', '3', '4']);
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]?.at).toEqual({ kind: 'line', line: 3 });
    expect(result.rejections[0]?.issues[0]?.field).toBe('(csv)');
  });

  it('rejects a CSV row with a wrong number of columns', () => {
    // Arrange
    const text = 'id,title\n1,Good\n2,Too,many\n';
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.rejections[0]?.message).toBe(
      'line 3 (id "2"): (csv): expected 2 columns, found 3 (quote fields that contain \',\')',
    );
  });

  it('rejects missing ids and titles with precise reasons', () => {
    // Arrange
    const records = [
      { title: 'No id' },
      { id: 'x' },
      { id: 'y', title: '<b></b>' },
      'text',
      { id: 'ok', title: 'Ok' },
    ];
    // Act
    const result = parseCatalogRecords(records);
    // Assert
    expect(result.items.map((i) => i.id)).toEqual(['ok']);
    expect(result.rejections.map((r) => r.message)).toEqual([
      'item 0: id: missing (required)',
      'item 1 (id "x"): title: missing (required)',
      'item 2 (id "y"): title: empty after removing markup',
      'item 3: (item): expected an object, got string',
    ]);
  });

  it('rejects wrong types and unsafe URLs field by field', () => {
    // Arrange
    const records = [
      { id: 'a', title: 'A', price: 'cheap' },
      { id: 'b', title: 'B', url: 'javascript:alert(1)' },
      { id: 'c', title: 'C', tags: 5 },
      { id: 'd', title: 'D', available: 'maybe', currency: 'dollars' },
      { id: 'e', title: 'E' },
    ];
    // Act
    const result = parseCatalogRecords(records);
    // Assert
    expect(result.items.map((i) => i.id)).toEqual(['e']);
    expect(result.rejections.map((r) => r.issues.map((i) => i.field))).toEqual([
      ['price'],
      ['url'],
      ['tags'],
      ['available', 'currency'],
    ]);
    expect(result.rejections[1]?.issues[0]?.problem).toMatch(/scheme 'javascript:' is not allowed/);
  });

  it('keeps the last occurrence of a duplicate id and reports it', () => {
    // Arrange
    const records = [
      { id: 'a', title: 'First' },
      { id: 'b', title: 'B' },
      { id: 'a', title: 'Second' },
    ];
    // Act
    const result = parseCatalogRecords(records);
    // Assert
    expect(result.items.map((i) => [i.id, i.title])).toEqual([
      ['b', 'B'],
      ['a', 'Second'],
    ]);
    expect(result.duplicates).toEqual([
      { id: 'a', kept: { kind: 'index', index: 2 }, dropped: { kind: 'index', index: 0 } },
    ]);
  });

  it('throws CatalogEmptyError when no item is valid, naming the first problem', () => {
    // Arrange
    const text = JSON.stringify([{ title: 'x' }, { id: 'y' }]);
    // Act
    const act = () => parseCatalogText(text);
    // Assert
    expect(act).toThrow(CatalogEmptyError);
    expect(act).toThrow(/all 2 were rejected; first: item 0: id: missing/);
  });

  it('throws CatalogEmptyError for an empty body and an empty array', () => {
    // Arrange / Act / Assert
    expect(() => parseCatalogText('  \n')).toThrow(CatalogEmptyError);
    expect(() => parseCatalogText('[]')).toThrow(CatalogEmptyError);
  });

  it('caps a 2 MB description and reports the cut', () => {
    // Arrange
    const huge = 'word '.repeat(400_000);
    // Act
    const result = parseCatalogRecords([{ id: 'a', title: 'A', description: huge }]);
    // Assert
    const item = result.items[0];
    expect(item?.description.length).toBeLessThanOrEqual(CATALOG_LIMITS.descriptionChars);
    expect(item?.description.length).toBeGreaterThan(CATALOG_LIMITS.descriptionChars - 10);
    expect(result.warnings).toEqual([
      {
        at: { kind: 'index', index: 0 },
        id: 'a',
        field: 'description',
        problem: 'cut to 5000 characters',
      },
    ]);
  });

  it('caps titles and tag counts', () => {
    // Arrange
    const tags = Array.from({ length: 80 }, (_, i) => `t${i}`);
    // Act
    const result = parseCatalogRecords([{ id: 'a', title: 'T'.repeat(1000), tags }]);
    // Assert
    expect(result.items[0]?.title.length).toBe(CATALOG_LIMITS.titleChars);
    expect(result.items[0]?.tags).toHaveLength(CATALOG_LIMITS.tags);
    expect(result.warnings.map((w) => w.field)).toEqual(['title', 'tags']);
  });
});

describe('sanitising', () => {
  it('stores <script> and onerror= payloads as inert plain text', () => {
    // Arrange
    const records = [
      {
        id: 'x',
        title: 'Nice <script>alert(1)</script>book<img src=x onerror=alert(2)>',
        description: '<p>Hello&nbsp;&amp;&#32;bye</p><br>&lt;script&gt;steal()&lt;/script&gt;after',
        tags: ['<b>bold</b>', 'onerror=alert(3)'],
        category: 'a\u0000b\u202Ec',
        note: '<iframe src="evil"></iframe>kept',
      },
    ];
    // Act
    const item = parseCatalogRecords(records).items[0];
    // Assert
    expect(item?.title).toBe('Nice book');
    expect(item?.description).toBe('Hello & bye\nafter');
    expect(item?.tags).toEqual(['bold', 'onerror=alert(3)']);
    expect(item?.category).toBe('abc');
    expect(item?.extra).toEqual({ note: 'kept' });
    const all = JSON.stringify(item);
    expect(all).not.toMatch(/<[a-z/!]/i);
  });

  it('drops prototype-polluting keys from extra', () => {
    // Arrange
    const raw = JSON.parse(
      '{"id":"a","title":"A","__proto__":{"polluted":true},"constructor":"x"}',
    );
    // Act
    const item = parseCatalogRecords([raw]).items[0];
    // Assert
    expect(item?.extra).toEqual({});
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
