/**
 * Hearth's binary model files share one framing: a 4-byte ASCII magic, a u32 little-endian header
 * length, a JSON header, zero padding to a 4-byte boundary, then a little-endian payload.
 */
import type { ZodType } from 'zod';

/** A frame being written: fill the payload through `view` from `payloadAt`. */
export interface FrameWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly payloadAt: number;
}

/** Allocates a frame with the magic and JSON header written and room for `payloadBytes`. */
export function writeFrame(magic: string, header: unknown, payloadBytes: number): FrameWriter {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const payloadAt = Math.ceil((8 + json.length) / 4) * 4;
  const bytes = new Uint8Array(payloadAt + payloadBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(magic), 0);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  return { bytes, view, payloadAt };
}

/** A frame being read: the schema-checked header and where the payload starts. */
export interface FrameReader<T> {
  readonly header: T;
  readonly view: DataView;
  readonly payloadAt: number;
}

/**
 * Checks the magic, reads the JSON header and checks it against `schema`; `fail` turns a reason
 * (e.g. "bad header field dims (Too small…)") into the caller's error.
 */
export function readFrame<T>(
  bytes: Uint8Array,
  magic: string,
  schema: ZodType<T>,
  fail: (why: string) => never,
): FrameReader<T> {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== magic)
    fail(`bad magic (bytes 0–3 must be '${magic}', then a u32 header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length)
    fail(`truncated header (${headerLength} bytes declared at byte 4, ${bytes.length - 8} follow)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    fail(`header (${headerLength} bytes from byte 8) is not JSON: ${detail}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || 'header';
    return fail(`bad header field ${path} (${issue?.message ?? 'invalid'})`);
  }
  return { header: parsed.data, view, payloadAt: Math.ceil((8 + headerLength) / 4) * 4 };
}
