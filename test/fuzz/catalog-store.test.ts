/**
 * Fuzzing the promise that a rejected catalog leaves the stored one intact: the real catalog
 * service over fake-indexeddb with a tiny fake encoder loads a good catalog, then generated bad
 * ones (malformed JSON, JSON Lines and CSV, catalogs where every item is invalid). 200 cases, not
 * 10,000: each case reads and writes IndexedDB; the parser itself is fuzzed 10,000 times in
 * catalog-parse.test.ts.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogEmptyError, CatalogParseError } from '../../src/catalog/errors.ts';
import { type CatalogFormat, parseCatalogText } from '../../src/catalog/parse.ts';
import { openHearthDB } from '../../src/store/schema.ts';
import { books, countingEncoder, freshDbName, serviceTracker } from '../catalog/helpers.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, hostileJson, hostileString, mutateText } from './helpers.ts';

const tracker = serviceTracker();
afterAll(async () => {
  await tracker.closeAll();
});

/** True when the parser refuses `text` as a whole (the service must then store nothing). */
function rejected(text: string, format: CatalogFormat | undefined): boolean {
  try {
    parseCatalogText(text, { format });
    return false;
  } catch (error) {
    if (error instanceof CatalogParseError || error instanceof CatalogEmptyError) return true;
    throw error;
  }
}

const GOOD = books(6);
const goodTexts = [
  JSON.stringify(GOOD),
  GOOD.map((b) => JSON.stringify(b)).join('\n'),
  ['id,title,description', ...GOOD.map((b) => `${b.id},${b.title},"${b.description}"`)].join('\n'),
];

/** Catalogs the parser refuses: mutated good ones, items all invalid, random text. */
const badCatalog = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...goodTexts).chain(mutateText),
      fc
        .array(
          fc.dictionary(fc.constantFrom('id', 'name', 'price', 'tags'), hostileJson(1), {
            maxKeys: 3,
          }),
          { maxLength: 4 },
        )
        .map((items) => JSON.stringify(items)),
      fc.string({ unit: 'binary', maxLength: 80 }),
      hostileString,
    ),
    fc.constantFrom<CatalogFormat | undefined>(undefined, 'json', 'jsonl', 'csv'),
  )
  .filter(([text, format]) => rejected(text, format));

/** The items as stored in IndexedDB, sorted by id, with their generation. */
async function storedItems(dbName: string) {
  const db = await openHearthDB(dbName);
  const items = await db.getAll('items');
  db.close();
  return items.sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('fuzz: a rejected catalog leaves the stored one intact', {
  timeout: FUZZ_TIMEOUT_MS,
}, () => {
  it('keeps the stored items, version and count after each generated bad catalog (200 cases)', async () => {
    // Arrange
    const dbName = freshDbName('hearth-fuzz');
    const service = tracker.service({ encoder: countingEncoder(), dbName });
    const loaded = await service.load(JSON.stringify(GOOD), { version: 'good-1' });
    expect(loaded.ok).toBe(true);
    const before = await storedItems(dbName);
    await fc.assert(
      fc.asyncProperty(badCatalog, async ([text, format]) => {
        // Act
        const result = await service.load(text, { format });
        const status = await service.status();
        // Assert
        expect(result).toMatchObject({ ok: false, error: { kind: 'invalid' }, count: 6 });
        expect(result.ok ? '' : result.error.message).toMatch(
          /line \d+|item \d+|top-level|empty|no item|every line/,
        );
        expect(status).toMatchObject({ count: 6, version: 'good-1', state: 'ready' });
        expect(await storedItems(dbName)).toEqual(before);
      }),
      { ...fuzzParams(501, 200), plugins: [fc.timeout(5000)] },
    );
  });
});
