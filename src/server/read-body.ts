/**
 * Reading request bodies for the routes: every body stays `unknown` until a zod schema from
 * src/protocol/ accepts it, and every refusal is an HttpError in the wire error shape.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
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

/** Reads a JSON body: 415 unless the content type is JSON, 400 `bad_json` if it does not parse. */
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
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'bad_json', `body is not valid JSON: ${(error as Error).message}`);
  }
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
