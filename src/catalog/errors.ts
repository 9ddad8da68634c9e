/** Named errors of the catalog module; messages say what failed, where, and what to do. */

/** Message texts (constants so tests and docs can refer to them). */
export const CATALOG_MESSAGES = {
  malformedJson: 'Catalog is not valid JSON',
  noValidItem: 'Catalog has no valid item',
  emptyInput: 'Catalog is empty',
  unsupportedBody:
    'Catalog body is neither a JSON array, a { version, items } object, JSON Lines nor CSV',
  badDelta: 'Catalog delta does not match { version, upserts, deletions }',
  csvColumns: (line: number, found: readonly string[], missing: readonly string[]) =>
    `Catalog CSV header (line ${line}) has no ${missing.map((m) => `"${m}"`).join(' or ')} column: it names ${found.length === 0 ? 'no column' : found.map((f) => JSON.stringify(f.slice(0, 40))).join(', ')}; a catalog needs "id" and "title" columns (optional: description, tags, category, price, currency, url, image, available, updatedAt; other columns are kept as extra fields). Rename the columns and load it again.`,
} as const;

/** The catalog text could not be read at all (malformed JSON, unknown shape). */
export class CatalogParseError extends Error {
  override readonly name = 'CatalogParseError';
  constructor(
    message: string,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(message);
  }
}

/** The catalog was readable but no item in it was valid; nothing is stored. */
export class CatalogEmptyError extends Error {
  override readonly name = 'CatalogEmptyError';
  constructor(
    message: string,
    readonly rejected: number,
  ) {
    super(message);
  }
}

/** A sync could not complete (offline, HTTP error, timeout); the last good catalog is kept. */
export class CatalogSyncError extends Error {
  override readonly name = 'CatalogSyncError';
  constructor(
    message: string,
    readonly kind: 'offline' | 'http' | 'timeout' | 'aborted',
    readonly httpStatus: number | null = null,
  ) {
    super(message);
  }
}
