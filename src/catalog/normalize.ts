/**
 * Validates and sanitises one raw catalog item into a `CatalogItem`, or explains precisely why
 * it was rejected (field and problem). Pure: no I/O.
 */
import { type CatalogItem, catalogItemInputSchema, type ExtraValue } from '../protocol/catalog.ts';
import { CATALOG_LIMITS as L } from './limits.ts';
import { LONE_SURROGATE, toPlainText } from './sanitize.ts';

/** Where an item came from: a line (JSON Lines, CSV) or an index (JSON array, delta upserts). */
export type CatalogLocation =
  | { readonly kind: 'line'; readonly line: number }
  | { readonly kind: 'index'; readonly index: number };

/** One problem with one field. */
export interface FieldIssue {
  readonly field: string;
  readonly problem: string;
}

/** Outcome of normalising one item. */
export type NormalizeResult =
  | { readonly ok: true; readonly item: CatalogItem; readonly warnings: readonly FieldIssue[] }
  | { readonly ok: false; readonly id: string | null; readonly issues: readonly FieldIssue[] };

/** The fields Hearth reads (every other field goes to `extra`); `id` and `title` are required. */
export const KNOWN_FIELDS = [
  'id',
  'title',
  'description',
  'tags',
  'category',
  'price',
  'currency',
  'url',
  'image',
  'available',
  'updatedAt',
] as const;
/** One field Hearth reads. */
export type KnownField = (typeof KNOWN_FIELDS)[number];
/** The fields an item cannot go without. */
export const REQUIRED_FIELDS: readonly KnownField[] = ['id', 'title'];
const FIELD_BY_FOLDED = new Map<string, KnownField>(
  KNOWN_FIELDS.map((f) => [f.toLowerCase(), f] as const),
);

/** The known field a key names (`Title`, `updated_at`, `UPDATED-AT`), or undefined for an extra. */
export function knownField(key: string): KnownField | undefined {
  return FIELD_BY_FOLDED.get(key.toLowerCase().replace(/[\s_-]/g, ''));
}
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

/** Describes a value's type for messages ("got number"). */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Folds `Title`, `updated_at`, `UPDATED-AT` onto known field names; other keys are extras. */
function splitFields(raw: Record<string, unknown>): {
  known: Record<string, unknown>;
  extra: [string, unknown][];
  /** Known fields given as an empty string (absent, but worth naming as "empty"). */
  empty: Set<string>;
} {
  const known: Record<string, unknown> = {};
  const extra: [string, unknown][] = [];
  const empty = new Set<string>();
  for (const [key, value] of Object.entries(raw)) {
    const field = knownField(key);
    // Empty strings (CSV cells) and nulls mean "absent".
    const present = value !== null && value !== undefined && value !== '';
    if (field !== undefined) {
      if (present) known[field] = value;
      else if (value === '') empty.add(field);
    } else if (present) extra.push([key, value]);
  }
  return { known, extra, empty };
}

function parseUrl(raw: string, field: string, issues: FieldIssue[]): string | undefined {
  const text = raw.replace(CONTROL, '').trim();
  if (text.length > L.urlChars) {
    issues.push({ field, problem: `longer than ${L.urlChars} characters` });
    return undefined;
  }
  // encodeURI throws on an unpaired surrogate; replace it with U+FFFD as `new URL` does.
  if (text.startsWith('/') && !text.startsWith('//'))
    return encodeURI(decodeSafe(text).replace(LONE_SURROGATE, '\uFFFD'));
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    issues.push({
      field,
      problem: `'${text.slice(0, 60)}' is not an absolute http(s) URL or a /path`,
    });
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({ field, problem: `scheme '${url.protocol}' is not allowed (use http or https)` });
    return undefined;
  }
  return url.href;
}

function decodeSafe(text: string): string {
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}

function parsePrice(raw: number | string, issues: FieldIssue[]): number | undefined {
  const value = typeof raw === 'number' ? raw : Number(raw.trim());
  if (typeof raw === 'string' && raw.trim() === '') return undefined;
  if (!Number.isFinite(value) || value < 0) {
    issues.push({
      field: 'price',
      problem: `'${String(raw).slice(0, 40)}' is not a non-negative number`,
    });
    return undefined;
  }
  return value;
}

function parseAvailable(raw: boolean | string | number, issues: FieldIssue[]): boolean {
  if (typeof raw === 'boolean') return raw;
  const word = String(raw).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  issues.push({
    field: 'available',
    problem: `'${word.slice(0, 40)}' is not true/false/yes/no/1/0`,
  });
  return true;
}

/** Epoch numbers below 1e11 are read as seconds, larger ones as milliseconds. */
function parseUpdatedAt(raw: string | number, issues: FieldIssue[]): number | undefined {
  const numeric =
    typeof raw === 'number' ? raw : /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (Number.isFinite(numeric)) return numeric < 1e11 ? numeric * 1000 : numeric;
  const parsed = typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (Number.isNaN(parsed)) {
    issues.push({
      field: 'updatedAt',
      problem: `'${String(raw).slice(0, 40)}' is not a date (use ISO 8601)`,
    });
    return undefined;
  }
  return parsed;
}

function parseTags(raw: string | readonly string[], warnings: FieldIssue[]): string[] {
  const list = typeof raw === 'string' ? raw.split(/[|;,]/) : raw;
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const entry of list) {
    const { text } = toPlainText(entry, { maxChars: L.tagChars });
    const folded = text.toLowerCase();
    if (text === '' || seen.has(folded)) continue;
    seen.add(folded);
    tags.push(text);
  }
  if (tags.length > L.tags) {
    warnings.push({ field: 'tags', problem: `${tags.length} tags, kept the first ${L.tags}` });
    tags.length = L.tags;
  }
  return tags;
}

function toExtraValue(value: unknown): ExtraValue | undefined {
  const cap = { maxChars: L.extraValueChars };
  if (typeof value === 'string') return toPlainText(value, cap).text;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.slice(0, L.tags).map((v: string) => toPlainText(v, cap).text);
  }
  if (typeof value === 'object') {
    const json = stringifyOrNull(value);
    return json === null ? undefined : toPlainText(json, cap).text;
  }
  return undefined;
}

/**
 * JSON.stringify recurses, so a value nested ~10k deep (which JSON.parse accepts) overflows the
 * stack; records passed in directly may also hold a cycle or a BigInt. Null when it cannot.
 */
function stringifyOrNull(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return null;
  }
}

function buildExtra(
  entries: [string, unknown][],
  warnings: FieldIssue[],
): Record<string, ExtraValue> {
  const extra: Record<string, ExtraValue> = {};
  let kept = 0;
  for (const [rawKey, rawValue] of entries) {
    const key = toPlainText(rawKey, { maxChars: L.extraKeyChars }).text;
    if (key === '' || FORBIDDEN_KEYS.has(key)) continue;
    if (kept >= L.extraKeys) {
      warnings.push({
        field: 'extra',
        problem: `more than ${L.extraKeys} extra fields, dropped '${key}'`,
      });
      continue;
    }
    const value = toExtraValue(rawValue);
    if (value === undefined) {
      if (typeof rawValue === 'object' && rawValue !== null)
        warnings.push({
          field: 'extra',
          problem: `'${key}' cannot be written as JSON (nested too deeply or cyclic), dropped`,
        });
      continue;
    }
    extra[key] = value;
    kept++;
  }
  return extra;
}

/** Validates and sanitises one raw item (any JSON value or CSV row object). */
export function normalizeItem(raw: unknown): NormalizeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      id: null,
      issues: [{ field: '(item)', problem: `expected an object, got ${typeName(raw)}` }],
    };
  }
  const { known, extra, empty } = splitFields(raw as Record<string, unknown>);
  const rawId = known.id;
  const id =
    typeof rawId === 'string' || typeof rawId === 'number'
      ? String(rawId).replace(CONTROL, '').trim()
      : null;
  const parsed = catalogItemInputSchema.safeParse(known);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): FieldIssue => {
      const field = String(issue.path[0] ?? '(item)');
      const value = known[field];
      if (value !== undefined) return { field, problem: `wrong type: got ${typeName(value)}` };
      return { field, problem: empty.has(field) ? 'empty (required)' : 'missing (required)' };
    });
    return { ok: false, id, issues };
  }
  const input = parsed.data;
  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  if (id === null || id === '') issues.push({ field: 'id', problem: 'empty' });
  else if (id.length > L.idChars)
    issues.push({ field: 'id', problem: `longer than ${L.idChars} characters` });
  const text = (
    field: string,
    value: string | null | undefined,
    maxChars: number,
    multiline = false,
  ) => {
    if (value === null || value === undefined) return undefined;
    const out = toPlainText(value, { maxChars, multiline });
    if (out.truncated) warnings.push({ field, problem: `cut to ${maxChars} characters` });
    return out.text === '' ? undefined : out.text;
  };
  const title = text('title', input.title, L.titleChars);
  if (title === undefined) issues.push({ field: 'title', problem: 'empty after removing markup' });
  const item: CatalogItem = {
    id: id ?? '',
    title: title ?? '',
    description: text('description', input.description, L.descriptionChars, true) ?? '',
    tags: input.tags === null || input.tags === undefined ? [] : parseTags(input.tags, warnings),
    available:
      input.available === null || input.available === undefined
        ? true
        : parseAvailable(input.available, issues),
    extra: buildExtra(extra, warnings),
  };
  const category = text('category', input.category, L.categoryChars);
  if (category !== undefined) item.category = category;
  if (input.price !== null && input.price !== undefined) {
    const price = parsePrice(input.price, issues);
    if (price !== undefined) item.price = price;
  }
  if (input.currency !== null && input.currency !== undefined) {
    const currency = input.currency.trim().toUpperCase();
    if (/^[A-Z]{3}$/.test(currency)) item.currency = currency;
    else
      issues.push({
        field: 'currency',
        problem: `'${currency.slice(0, 20)}' is not a 3-letter ISO 4217 code`,
      });
  }
  for (const field of ['url', 'image'] as const) {
    const value = input[field];
    if (value === null || value === undefined || value.trim() === '') continue;
    const url = parseUrl(value, field, issues);
    if (url !== undefined) item[field] = url;
  }
  if (input.updatedAt !== null && input.updatedAt !== undefined) {
    const at = parseUpdatedAt(input.updatedAt, issues);
    if (at !== undefined) item.updatedAt = at;
  }
  if (issues.length > 0) return { ok: false, id: id || null, issues };
  return { ok: true, item, warnings };
}
