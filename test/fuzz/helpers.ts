/**
 * Shared pieces of the fuzz suite (test/fuzz/): run counts, seeds, hostile strings and the
 * mutators that turn valid inputs into almost-valid ones (where parsers break most often).
 * Every property is seeded; a failure prints its seed and path, so it replays exactly.
 */
import fc from 'fast-check';

/** Generated cases per property (the issue asks for at least 10,000). */
export const FUZZ_RUNS = 10_000;

/**
 * Per-test time limit of the fuzz suite: a property runs thousands of cases, and on a loaded
 * 2-core machine one may take far longer than the suite's default 30 s (a limit, not a measure).
 */
export const FUZZ_TIMEOUT_MS = 300_000;

/** fast-check parameters for one property: fixed seed, FUZZ_RUNS runs unless told. */
export function fuzzParams(seed: number, numRuns = FUZZ_RUNS): { seed: number; numRuns: number } {
  return { seed, numRuns };
}

/** Strings that have broken parsers and sanitisers before (markup, escapes, surrogates, URLs). */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\uD800',
  '\uDC00x',
  '\uFEFF',
  '\u202E',
  '\u0000',
  '/\uD800',
  '/%E0%A4%A',
  '//evil.example',
  'http://[::1',
  'javascript:alert(1)',
  'https://a.example/\uD800',
  '<b>x</b>',
  '<script>alert(1)</script>',
  '&#0;',
  '&#xD800;',
  '&#1114112;',
  '&lt;script&gt;',
  '1e999',
  '-0',
  'NaN',
  'Infinity',
  '2024-13-45',
  '99999999999999999999',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'EUR',
  '"',
  '""',
  ',',
  ';',
  '\t',
  '\r\n',
  '\n',
] as const;

/** A hostile string or a short random one over all of Unicode (lone surrogates included). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);

/** Any JSON-like value, hostile strings included, at most `depth` levels deep. */
export function hostileJson(depth = 2): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      hostileString,
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }),
    ),
  }));
  return value;
}

/** Edits a text at random places: insert, delete, replace or cut, with characters parsers care about. */
export function mutateText(base: string): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom('"', ',', ';', '\n', '\r', '{', '}', '[', ']', ':', '\\', '<', '&', '\uD800'),
    hostileString,
  );
  const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'cut'), piece);
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let text = base;
    for (const [at, kind, with_] of edits) {
      const i = text.length === 0 ? 0 : at % text.length;
      if (kind === 'insert') text = text.slice(0, i) + with_ + text.slice(i);
      else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
      else if (kind === 'replace') text = text.slice(0, i) + with_ + text.slice(i + 1);
      else text = text.slice(0, i);
    }
    return text;
  });
}

/** Edits bytes at random places: set, delete, insert or truncate. */
export function mutateBytes(base: Uint8Array): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  const edit = fc.tuple(
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('set', 'delete', 'insert', 'cut'),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes = Array.from(base);
    for (const [at, value, kind] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'set') bytes[i] = value;
      else if (kind === 'delete') bytes.splice(i, 1);
      else if (kind === 'insert') bytes.splice(i, 0, value);
      else bytes = bytes.slice(0, i);
    }
    return Uint8Array.from(bytes);
  });
}

/** A JSON object whose fields are replaced, dropped or added at random (shape-level mutation). */
export function mutateObject(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  const edit = fc.oneof(
    fc.tuple(fc.constant('drop' as const), fc.constantFrom(...keys), fc.constant(null)),
    fc.tuple(fc.constant('set' as const), fc.constantFrom(...keys), hostileJson(1)),
    fc.tuple(fc.constant('add' as const), hostileString, hostileJson(1)),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const out: Record<string, unknown> = { ...base };
    for (const [kind, key, value] of edits) {
      if (kind === 'drop') delete out[key];
      // defineProperty, not `out[key] =`: a '__proto__' key must become an own field, as in JSON.parse.
      else
        Object.defineProperty(out, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  });
}

/** Frames `header` the way Hearth's binary files do: magic, u32 LE length, JSON, then `tail`. */
export function rawFrame(magic: string, header: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + tail.length);
  out.set(new TextEncoder().encode(magic).subarray(0, 4), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  out.set(tail, 8 + header.length);
  return out;
}
