/**
 * Reading request bodies for the routes: every body stays `unknown` until a zod schema from
 * src/protocol/ accepts it, and every refusal is an HttpError in the wire error shape.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { jsonErrorOffset, lineColumn } from '../shared/json-position.ts';
import { HttpError, tooLarge } from './http-error.ts';

/** At most this many zod issues are reported back; the rest add nothing a client can act on. */
const MAX_REASONS = 20;

function zodReasons(error: z.ZodError): string[] {
  return error.issues
    .slice(0, MAX_REASONS)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
}

/** Parses `value` with `schema`, or throws 400 `invalid` with `message` and one reason per issue. */
export function parseOrReject<S extends z.ZodType>(
  schema: S,
  value: unknown,
  message: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid', message, zodReasons(parsed.error));
  return parsed.data;
}

/**
 * Deepest array/object nesting a body may have. JSON.parse accepts any depth, but JSON.stringify
 * recurses: an item nested ~5,000 deep made PUT /v1/admin/catalog answer 500 (found by fuzzing).
 */
export const MAX_JSON_DEPTH = 64;

/** Offset of the first bracket nested deeper than MAX_JSON_DEPTH in JSON `text`, or -1. */
function overDeepOffset(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/**
 * Reads a JSON body: 415 unless the content type is JSON, 400 `bad_json` if it does not parse,
 * 400 `invalid` if it nests deeper than MAX_JSON_DEPTH.
 */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new HttpError(
      415,
      'bad_content_type',
      `expected content-type application/json, got '${type || 'none'}'.`,
    );
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const { line, column } = lineColumn(text, jsonErrorOffset(text, error));
    const detail = (error as Error).message;
    throw new HttpError(
      400,
      'bad_json',
      `body is not valid JSON at line ${line}, column ${column}: ${detail}`,
    );
  }
  const deep = overDeepOffset(text);
  if (deep >= 0) {
    const { line, column } = lineColumn(text, deep);
    throw new HttpError(
      400,
      'invalid',
      `body nests deeper than ${MAX_JSON_DEPTH} levels at line ${line}, column ${column}; flatten it.`,
    );
  }
  return value;
}

/**
 * Reads a binary body up to `maxBytes` (413 beyond). Under @hono/node-server it reads the Node
 * request stream directly (one copy, no web-stream adapter); elsewhere it uses the Request.
 */
export async function readBinaryBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const env = c.env as
    | { incoming?: AsyncIterable<Buffer> & { readableDidRead?: boolean } }
    | undefined;
  const incoming = env?.incoming;
  if (incoming === undefined || incoming.readableDidRead === true) {
    const buffer = new Uint8Array(await c.req.arrayBuffer());
    if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
    return buffer;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const joined = Buffer.concat(chunks, size);
  // A plain Uint8Array view: Buffer#slice shares memory, Uint8Array#slice copies (callers rely on it).
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}
