/**
 * Reads a catalog from text (JSON array, `{ version, items }`, JSON Lines or CSV) or from an
 * array of records, and returns the accepted items with every rejection, duplicate and warning.
 * A catalog where nothing is valid throws `CatalogEmptyError`; unreadable text throws
 * `CatalogParseError`.
 */
import type { CatalogItem } from '../protocol/catalog.ts';
import { catalogFullEnvelopeSchema } from '../protocol/catalog.ts';
import { jsonErrorOffset, lineColumn } from '../shared/json-position.ts';
import { parseCsv } from './csv.ts';
import { CATALOG_MESSAGES, CatalogEmptyError, CatalogParseError } from './errors.ts';
import { formatLocation } from './location.ts';
import {
  type CatalogLocation,
  type FieldIssue,
  knownField,
  normalizeItem,
  REQUIRED_FIELDS,
} from './normalize.ts';

/** The text formats a catalog may come in. */
export type CatalogFormat = 'json' | 'jsonl' | 'csv';

/** An item that was skipped, and why. */
export interface CatalogRejection {
  readonly at: CatalogLocation;
  readonly id: string | null;
  readonly issues: readonly FieldIssue[];
  /** One readable line, e.g. `line 7 (id "b12"): title: missing (required)`. */
  readonly message: string;
}

/** A repeated id: the last occurrence is kept. */
export interface CatalogDuplicate {
  readonly id: string;
  readonly kept: CatalogLocation;
  readonly dropped: CatalogLocation;
}

/** A field that was accepted but changed (cut to its cap, extras dropped). */
export interface CatalogWarning {
  readonly at: CatalogLocation;
  readonly id: string;
  readonly field: string;
  readonly problem: string;
}

/** What a parse produced. */
export interface CatalogParseResult {
  readonly format: CatalogFormat | 'records';
  /** The version in a `{ version, items }` body, else null. */
  readonly version: string | null;
  /**
   * The raw items of a `{ version, items }` body (as parsed, before validation), so that sync can
   * compute the catalog's content hash; absent for every other format.
   */
  readonly envelopeItems?: readonly unknown[];
  readonly items: CatalogItem[];
  /** Where each of `items` came from (same order): the kept record of its id. */
  readonly itemLocations: CatalogLocation[];
  readonly rejections: CatalogRejection[];
  readonly duplicates: CatalogDuplicate[];
  readonly warnings: CatalogWarning[];
}

/** Options for parsing. */
export interface ParseCatalogOptions {
  /** Skip detection. */
  readonly format?: CatalogFormat;
  /** Accept a result with no item (delta upserts); otherwise no valid item throws. */
  readonly allowEmpty?: boolean;
}

export { formatLocation } from './location.ts';

function rejection(
  at: CatalogLocation,
  id: string | null,
  issues: readonly FieldIssue[],
): CatalogRejection {
  const where = id
    ? `${formatLocation(at)} (id ${JSON.stringify(id.slice(0, 80))})`
    : formatLocation(at);
  const what = issues.map((i) => `${i.field}: ${i.problem}`).join('; ');
  return { at, id, issues, message: `${where}: ${what}` };
}

interface Located {
  readonly at: CatalogLocation;
  readonly value: unknown;
}

/** Validates located records, keeps the last of duplicate ids, and collects every problem. */
function collect(
  format: CatalogParseResult['format'],
  version: string | null,
  records: readonly Located[],
  early: CatalogRejection[],
  options: ParseCatalogOptions,
): CatalogParseResult {
  const byId = new Map<string, { item: CatalogItem; at: CatalogLocation }>();
  const rejections = early;
  const duplicates: CatalogDuplicate[] = [];
  const warnings: CatalogWarning[] = [];
  for (const { at, value } of records) {
    const result = normalizeItem(value);
    if (!result.ok) {
      rejections.push(rejection(at, result.id, result.issues));
      continue;
    }
    const { item } = result;
    for (const w of result.warnings) warnings.push({ at, id: item.id, ...w });
    const previous = byId.get(item.id);
    if (previous !== undefined) {
      duplicates.push({ id: item.id, kept: at, dropped: previous.at });
      byId.delete(item.id);
    }
    byId.set(item.id, { item, at });
  }
  const kept = [...byId.values()];
  const items = kept.map((e) => e.item);
  if (items.length === 0 && !options.allowEmpty) {
    const first = rejections[0]?.message;
    throw new CatalogEmptyError(
      rejections.length === 0
        ? `${CATALOG_MESSAGES.noValidItem}: it contains no item. Add at least one item with an id and a title.`
        : `${CATALOG_MESSAGES.noValidItem}: all ${rejections.length} were rejected; first: ${first}. Fix the items and sync again.`,
      rejections.length,
    );
  }
  return {
    format,
    version,
    items,
    itemLocations: kept.map((e) => e.at),
    rejections,
    duplicates,
    warnings,
  };
}

/** Parses an array of raw records (JSON values or CSV row objects); locations are indexes. */
export function parseCatalogRecords(
  records: readonly unknown[],
  options: ParseCatalogOptions = {},
): CatalogParseResult {
  const located = records.map((value, index): Located => ({ at: { kind: 'index', index }, value }));
  return collect('records', null, located, [], options);
}

/** Turns a JSON.parse failure into a CatalogParseError with line and column. */
function jsonError(text: string, error: unknown): CatalogParseError {
  const detail = error instanceof Error ? error.message : String(error);
  const { line, column } = lineColumn(text, jsonErrorOffset(text, error));
  return new CatalogParseError(
    `${CATALOG_MESSAGES.malformedJson} at line ${line}, column ${column}: ${detail}. Fix the JSON (a validator shows the spot) and sync again.`,
    line,
    column,
  );
}

function detectFormat(text: string): CatalogFormat {
  const first = text.trimStart()[0];
  if (first === '[') return 'json';
  if (first !== '{') return 'csv';
  try {
    JSON.parse(text);
    return 'json';
  } catch {
    const firstLine = text.trimStart().split('\n', 1)[0] ?? '';
    try {
      JSON.parse(firstLine);
      return 'jsonl';
    } catch {
      return 'json';
    }
  }
}

function fromJson(text: string, options: ParseCatalogOptions): CatalogParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw jsonError(text, error);
  }
  if (Array.isArray(value)) return { ...parseCatalogRecords(value, options), format: 'json' };
  const envelope = catalogFullEnvelopeSchema.safeParse(value);
  if (envelope.success) {
    return {
      ...parseCatalogRecords(envelope.data.items, options),
      format: 'json',
      version: envelope.data.version,
      envelopeItems: envelope.data.items,
    };
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    'items' in value &&
    Array.isArray(value.items)
  ) {
    return { ...parseCatalogRecords(value.items, options), format: 'json' };
  }
  if (typeof value === 'object' && value !== null && 'id' in value) {
    return { ...parseCatalogRecords([value], options), format: 'json' };
  }
  throw new CatalogParseError(
    `${CATALOG_MESSAGES.unsupportedBody}: the top-level value is a JSON ${value === null ? 'null' : typeof value}.`,
  );
}

function fromJsonLines(text: string, options: ParseCatalogOptions): CatalogParseResult {
  const records: Located[] = [];
  const early: CatalogRejection[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const body = lines[index]?.trim() ?? '';
    if (body === '') continue;
    const at: CatalogLocation = { kind: 'line', line: index + 1 };
    try {
      records.push({ at, value: JSON.parse(body) });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const raw = lines[index] ?? '';
      const column = raw.length - raw.trimStart().length + jsonErrorOffset(body, error) + 1;
      const problem = `malformed JSON at column ${column}: ${detail}`;
      early.push(rejection(at, null, [{ field: '(line)', problem }]));
    }
  }
  return collect('jsonl', null, records, early, options);
}

function fromCsv(text: string, options: ParseCatalogOptions): CatalogParseResult {
  const table = parseCsv(text);
  const [header, ...rows] = table.records;
  const headerError = table.errors.find((e) => header === undefined || e.line <= header.line);
  if (header === undefined || headerError !== undefined) {
    throw new CatalogParseError(
      `Catalog CSV has no readable header line (${headerError ? `line ${headerError.line}: ${headerError.problem}` : 'every line is blank'}). The first line must name the columns, e.g. id,title,description.`,
      headerError?.line ?? 1,
    );
  }
  const names = header.cells.map((c) => c.trim());
  // Wrong columns would reject every row with the same "missing" issue: say so once, naming them.
  const fields = new Set(names.map(knownField));
  const missing = REQUIRED_FIELDS.filter((f) => !fields.has(f));
  if (missing.length > 0) {
    throw new CatalogParseError(
      CATALOG_MESSAGES.csvColumns(
        header.line,
        names.filter((n) => n !== ''),
        missing,
      ),
      header.line,
    );
  }
  const early = table.errors.map((e) =>
    rejection({ kind: 'line', line: e.line }, null, [{ field: '(csv)', problem: e.problem }]),
  );
  const records: Located[] = [];
  for (const row of rows) {
    const at: CatalogLocation = { kind: 'line', line: row.line };
    if (row.cells.length !== names.length) {
      const problem = `expected ${names.length} columns, found ${row.cells.length} (quote fields that contain '${table.delimiter}')`;
      early.push(rejection(at, row.cells[0] ?? null, [{ field: '(csv)', problem }]));
      continue;
    }
    const value: Record<string, string> = {};
    names.forEach((name, i) => {
      value[name] = row.cells[i] ?? '';
    });
    records.push({ at, value });
  }
  return collect('csv', null, records, early, options);
}

/** Parses catalog text in any supported format (detected unless given). */
export function parseCatalogText(
  text: string,
  options: ParseCatalogOptions = {},
): CatalogParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new CatalogEmptyError(`${CATALOG_MESSAGES.emptyInput}: the body has no content.`, 0);
  }
  const format = options.format ?? detectFormat(body);
  switch (format) {
    case 'json':
      return fromJson(body, options);
    case 'jsonl':
      return fromJsonLines(body, options);
    case 'csv':
      return fromCsv(body, options);
    default: {
      const never: never = format;
      throw new CatalogParseError(`Unknown catalog format ${String(never)}`);
    }
  }
}
