/**
 * Turns untrusted catalog text into inert plain text: HTML tags, comments and script/style
 * contents removed, entities decoded, control and bidi-override characters removed, whitespace
 * collapsed, length capped. Runs in a worker or Node (no DOM).
 */
import { CATALOG_LIMITS } from './limits.ts';

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  aacute: 'á',
  ccedil: 'ç',
  ouml: 'ö',
  uuml: 'ü',
  auml: 'ä',
  szlig: 'ß',
  ntilde: 'ñ',
};

const RAW_TEXT_ELEMENT =
  /<(script|style|noscript|template|iframe|object|textarea)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
const COMMENT = /<!--[\s\S]*?(-->|$)/g;
const BLOCK_BREAK = /<(br|\/p|\/div|\/li|\/h[1-6]|\/tr|hr)\b[^>]*>/gi;
// A tag: '<' then a letter, '/', '!' or '?', up to the next '>' (or the end for an unclosed tag).
const TAG = /<[a-zA-Z/!?][^>]*(>|$)/g;
const ENTITY = /&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g;
// C0/C1 controls except tab and newline, plus bidi overrides/isolates (Trojan Source).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
/** An unpaired UTF-16 surrogate (not text: encoders and URL functions reject or replace it). */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Decodes HTML character references (decimal, hex and common named ones); unknown names stay. */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY, (whole, body: string) => {
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X';
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return valid ? String.fromCodePoint(code) : '\uFFFD';
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Removes HTML markup, keeping line breaks where block elements ended. */
export function stripTags(text: string): string {
  return text
    .replace(COMMENT, ' ')
    .replace(RAW_TEXT_ELEMENT, ' ')
    .replace(BLOCK_BREAK, '\n')
    .replace(TAG, ' ');
}

/** Cuts text to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, end).trimEnd();
}

/** Options for `toPlainText`. */
export interface PlainTextOptions {
  /** Cap after sanitising, in UTF-16 code units. */
  readonly maxChars: number;
  /** Keep single line breaks (descriptions); otherwise every whitespace run becomes one space. */
  readonly multiline?: boolean;
}

/** Result of sanitising one field. */
export interface PlainText {
  readonly text: string;
  /** True when the text was longer than `maxChars` (or than the raw read limit) and was cut. */
  readonly truncated: boolean;
}

/**
 * Sanitises one untrusted field to plain text. Tags are stripped again after decoding so that
 * an encoded tag (`&lt;script&gt;`) cannot turn back into markup later.
 */
export function toPlainText(raw: string, options: PlainTextOptions): PlainText {
  let truncated = raw.length > CATALOG_LIMITS.rawFieldChars;
  let text = truncated ? raw.slice(0, CATALOG_LIMITS.rawFieldChars) : raw;
  for (let pass = 0; pass < 3; pass++) {
    const next = decodeEntities(stripTags(text));
    if (next === text) break;
    text = next;
  }
  text = stripTags(text).replace(CONTROL, '').replace(LONE_SURROGATE, '\uFFFD');
  text = options.multiline
    ? text
        .replace(/[^\S\n]+/g, ' ')
        .replace(/ *\n[\s]*/g, '\n')
        .trim()
    : text.replace(/\s+/g, ' ').trim();
  if (text.length > options.maxChars) {
    truncated = true;
    text = capText(text, options.maxChars);
  }
  return { text, truncated };
}

/**
 * Resolves a catalog URL (link or image) against `base` and returns it when it is http(s), else
 * undefined (absent, malformed, `javascript:`, `data:`…). The one URL rule of the worker's image
 * cache and the widget's links and images.
 */
export function httpUrl(value: string | undefined, base: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
