/**
 * Hearth's binary model files share one framing: a 4-byte ASCII magic, a u32 little-endian header
 * length, a JSON header, zero padding to a 4-byte boundary, then a little-endian payload.
 */

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

/** A frame being read: the parsed (unvalidated) header and where the payload starts. */
export interface FrameReader {
  readonly header: unknown;
  readonly view: DataView;
  readonly payloadAt: number;
}

/** Checks the magic and reads the JSON header; `fail` turns a reason into the caller's error. */
export function readFrame(
  bytes: Uint8Array,
  magic: string,
  fail: (why: string) => never,
): FrameReader {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== magic)
    fail('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) fail('truncated header');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('header is not JSON');
  }
  return { header, view, payloadAt: Math.ceil((8 + headerLength) / 4) * 4 };
}
