/**
 * Fuzzing the catalog parser (src/catalog/parse.ts) with fast-check: random text, catalog-shaped
 * token soup and mutated valid catalogs in every format, random records, and round trips of
 * generated valid catalogs through JSON, JSON Lines and CSV. Inputs are small (≤ a few hundred
 * characters), which bounds each case's time: the parser is synchronous, so fast-check's timeout
 * plugin could not interrupt it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CatalogEmptyError, CatalogParseError } from '../../src/catalog/errors.ts';
import {
  type CatalogFormat,
  type CatalogParseResult,
  parseCatalogRecords,
  parseCatalogText,
} from '../../src/catalog/parse.ts';
import { type CatalogItem, catalogItemSchema } from '../../src/protocol/catalog.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, hostileJson, hostileString, mutateText } from './helpers.ts';

/** A rejection or error message must say where: a line, an item index, or the body as a whole. */
const WHERE = /\bline \d+|\bitem \d+|every line|top-level|no content|contains no item/;

/** What a successful parse promises: valid items, unique ids, located rejections. */
function expectWellFormed(result: CatalogParseResult): void {
  for (const item of result.items) expect(catalogItemSchema.safeParse(item).success).toBe(true);
  expect(new Set(result.items.map((i) => i.id)).size).toBe(result.items.length);
  for (const r of result.rejections) {
    expect(r.message).toMatch(/^(line|item) \d+/);
    expect(r.issues.length).toBeGreaterThan(0);
    for (const issue of r.issues) expect(r.message).toContain(`${issue.field}: `);
  }
}

/** Parses, and holds the outcome to the contract: a well-formed result or a typed, located error. */
function parsesOrRejectsCleanly(parse: () => CatalogParseResult): void {
  let result: CatalogParseResult;
  try {
    result = parse();
  } catch (error) {
    if (!(error instanceof CatalogParseError || error instanceof CatalogEmptyError)) throw error;
    expect(error.message).toMatch(WHERE);
    return;
  }
  expectWellFormed(result);
}

const FORMATS: readonly (CatalogFormat | undefined)[] = [undefined, 'json', 'jsonl', 'csv'];

/** Pieces of catalog syntax, so random text often gets past the first character. */
const catalogToken = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '[',
    ']',
    '"',
    ',',
    ':',
    ';',
    '\t',
    '\n',
    '\r\n',
    '"id"',
    '"title"',
    '"tags"',
    '"price"',
    '"url"',
    '"image"',
    '"updatedAt"',
    '"available"',
    '"version"',
    '"items"',
    'id,title,description',
    'null',
    'true',
    '1.5',
    '-1',
  ),
  hostileString.map((s) => JSON.stringify(s)),
  hostileString,
);
const tokenSoup = fc.array(catalogToken, { maxLength: 40 }).map((parts) => parts.join(''));

/** Lowercase words: text the sanitiser leaves exactly as it is. */
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const words = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));

/** A valid catalog item whose fields survive parsing unchanged (what the round trip compares). */
const plainItem: fc.Arbitrary<CatalogItem> = fc
  .record(
    {
      id: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/),
      title: words,
      description: fc.option(words, { nil: undefined }),
      tags: fc.uniqueArray(word, { maxLength: 4 }),
      category: words,
      price: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      currency: fc.constantFrom('EUR', 'USD', 'JPY'),
      url: word.map((w) => `https://shop.example/items/${w}`),
      image: word.map((w) => `/img/${w}.jpg`),
      available: fc.boolean(),
      updatedAt: fc.integer({ min: 1e11, max: 4e12 }),
      colour: word,
    },
    { requiredKeys: ['id', 'title', 'tags', 'available'] },
  )
  .map(({ colour, description, ...fields }): CatalogItem => {
    const extra: Record<string, string> = colour === undefined ? {} : { colour };
    return {
      ...fields,
      description: description ?? '',
      // -0 prints as "0" in CSV and JSON: compare with what any text format can carry.
      ...(fields.price === undefined ? {} : { price: fields.price === 0 ? 0 : fields.price }),
      extra,
    };
  });

const plainCatalog = fc.uniqueArray(plainItem, {
  minLength: 1,
  maxLength: 5,
  selector: (item) => item.id,
});

/** The record a site owner would write for an item (extra fields at the top level). */
function toRecord(item: CatalogItem): Record<string, unknown> {
  const { extra, ...fields } = item;
  return { ...fields, ...extra };
}

/** RFC 4180 with every cell quoted, one column per field any record has; tags as `a|b`. */
function toCsv(items: readonly CatalogItem[]): string {
  const records = items.map(toRecord);
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown): string => {
    const text = Array.isArray(value) ? value.join('|') : value === undefined ? '' : String(value);
    return `"${text.replaceAll('"', '""')}"`;
  };
  const rows = records.map((record) => columns.map((column) => cell(record[column])).join(','));
  return [columns.join(','), ...rows].join('\r\n');
}

/** Text serialisations of a catalog, one per supported format. */
function serialisations(items: readonly CatalogItem[]): [CatalogFormat, string][] {
  const records = items.map(toRecord);
  return [
    ['json', JSON.stringify(records)],
    ['json', JSON.stringify({ version: 'v1', items: records })],
    ['jsonl', records.map((r) => JSON.stringify(r)).join('\n')],
    ['csv', toCsv(items)],
  ];
}

describe('fuzz: catalog parser', { timeout: FUZZ_TIMEOUT_MS }, () => {
  it('never crashes on random text in any format: a result or a typed, located error (10,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), tokenSoup),
        fc.constantFrom(...FORMATS),
        (text, format) => parsesOrRejectsCleanly(() => parseCatalogText(text, { format })),
      ),
      fuzzParams(101),
    );
  });

  it('never crashes on mutated valid catalogs in JSON, JSON Lines and CSV (10,000 cases)', () => {
    const mutated = plainCatalog.chain((items) =>
      fc
        .constantFrom(...serialisations(items))
        .chain(([format, text]) => fc.tuple(fc.constantFrom(format, undefined), mutateText(text))),
    );
    fc.assert(
      fc.property(mutated, ([format, text]) =>
        parsesOrRejectsCleanly(() => parseCatalogText(text, { format })),
      ),
      fuzzParams(102),
    );
  });

  it('never crashes on random records: each bad one is rejected with its index and field (10,000 cases)', () => {
    const known = fc.constantFrom('id', 'title', 'Title', 'tags', 'price', 'url', 'image');
    const looseItem = fc.dictionary(
      fc.oneof(known, fc.constantFrom('updated_at', 'AVAILABLE', 'currency'), hostileString),
      hostileJson(3),
      { maxKeys: 8 },
    );
    const record = fc.oneof(looseItem, hostileJson(2));
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), fc.boolean(), (records, allowEmpty) =>
        parsesOrRejectsCleanly(() => parseCatalogRecords(records, { allowEmpty })),
      ),
      fuzzParams(103),
    );
  });

  it('round-trips generated valid catalogs through JSON, JSON Lines and CSV (10,000 cases)', () => {
    fc.assert(
      fc.property(plainCatalog, fc.nat(3), (items, pick) => {
        // Arrange
        const [format, text] = serialisations(items)[pick] ?? ['json', ''];
        // Act
        const detected = parseCatalogText(text);
        // Assert: one JSON Lines record is also a JSON document, and reads as one.
        expect(detected.format).toBe(format === 'jsonl' && items.length === 1 ? 'json' : format);
        expect(detected.items).toEqual(items);
        expect(detected.rejections).toEqual([]);
      }),
      fuzzParams(104),
    );
  });

  it('names the line and column of a JSON syntax error even when V8 does not (found by fuzzing)', () => {
    // Arrange: V8 says only "Unexpected token 'x', … is not valid JSON" here, with no position.
    const text = '[\n  {"id": "a", "title": "A"},\n  {"id": x}\n]';
    // Act
    const act = () => parseCatalogText(text);
    // Assert
    expect(act).toThrow(/at line 3, column 10: Unexpected token 'x'/);
  });

  it('keeps an item whose /path URL holds an unpaired surrogate (found by fuzzing: URIError)', () => {
    // Arrange
    const records = [{ id: 'a', title: 'A', image: '/img/\uD800.jpg' }];
    // Act
    const result = parseCatalogRecords(records);
    // Assert
    expect(result.items[0]?.image).toBe('/img/%EF%BF%BD.jpg');
  });

  it('drops an extra field nested too deeply to write as JSON, with a warning (found by fuzzing: RangeError)', () => {
    // Arrange: JSON.parse accepts 100k levels, JSON.stringify overflows the stack on them.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `[{"id":"a","title":"A","specs":${deep}}]`;
    // Act
    const result = parseCatalogText(text);
    // Assert
    expect(result.items[0]?.extra).toEqual({});
    expect(result.warnings[0]).toMatchObject({ id: 'a', field: 'extra' });
    expect(result.warnings[0]?.problem).toMatch(/'specs' cannot be written as JSON/);
  });
});
