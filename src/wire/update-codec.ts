/**
 * Encodes and decodes the binary update frame of `src/protocol/update.ts`. The decoder treats
 * its input as untrusted: every length is checked and the header is validated with zod.
 */
import { UPDATE_MAGIC, type UpdateHeader, UpdateHeaderSchema } from '../protocol/update.ts';
import { decodeQ8, encodeQ8, q8ByteLength, q8Norm } from './quantize.ts';

/** A malformed update frame; `reasons` lists what is wrong. */
export class UpdateFrameError extends Error {
  override readonly name = 'UpdateFrameError';
  constructor(readonly reasons: string[]) {
    super(`malformed update frame: ${reasons.join('; ')}`);
  }
}

/** Byte length of the payload for a header. */
export function payloadByteLength(header: Pick<UpdateHeader, 'encoding' | 'length'>): number {
  return header.encoding === 'f32' ? header.length * 4 : q8ByteLength(header.length);
}

/** Builds an update frame from a header and the (already clipped and noised) values. */
export function encodeUpdateFrame(
  header: UpdateHeader,
  values: Float32Array,
): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + head.length) / 4) * 4;
  const payload =
    header.encoding === 'f32' ? new Uint8Array(Float32Array.from(values).buffer) : encodeQ8(values);
  const out = new Uint8Array(start + payload.length);
  out.set(new TextEncoder().encode(UPDATE_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  out.set(payload, start);
  return out;
}

/** Parses a frame; throws UpdateFrameError with reasons. Values are decoded to Float32. */
export function decodeUpdateFrame(bytes: Uint8Array): {
  header: UpdateHeader;
  /** The payload bytes as received (stored verbatim). */
  payload: Uint8Array;
  /** Decodes the values (allocates). */
  values: () => Float32Array;
  /** L2 norm and finiteness, computed without decoding q8. */
  norm: () => { finite: boolean; norm: number };
} {
  if (bytes.length < 8) throw new UpdateFrameError(['body shorter than the 8-byte preamble']);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== UPDATE_MAGIC) {
    throw new UpdateFrameError([`body must start with '${UPDATE_MAGIC}'`]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLength = view.getUint32(4, true);
  if (headLength > 4096 || 8 + headLength > bytes.length) {
    throw new UpdateFrameError(['header length exceeds the body or 4096 bytes']);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLength)));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UpdateFrameError([
      `header (${headLength} bytes from byte 8) is not valid JSON: ${detail}`,
    ]);
  }
  const parsed = UpdateHeaderSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UpdateFrameError(
      parsed.error.issues.map((i) => `header.${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const header = parsed.data;
  const start = Math.ceil((8 + headLength) / 4) * 4;
  const expected = start + payloadByteLength(header);
  if (bytes.length !== expected) {
    throw new UpdateFrameError([
      `body is ${bytes.length} bytes, expected ${expected} for ${header.length} ${header.encoding} values`,
    ]);
  }
  const payload = bytes.subarray(start);
  return {
    header,
    payload,
    values: () =>
      header.encoding === 'f32'
        ? new Float32Array(new Uint8Array(payload).buffer)
        : decodeQ8(payload, header.length),
    norm: () => {
      if (header.encoding === 'q8') return q8Norm(payload, header.length);
      // One pass: a NaN or ±Infinity value makes the sum of squares non-finite.
      const v = new Float32Array(new Uint8Array(payload).buffer);
      let sum = 0;
      for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) * (v[i] ?? 0);
      return Number.isFinite(sum)
        ? { finite: true, norm: Math.sqrt(sum) }
        : { finite: false, norm: Number.NaN };
    },
  };
}
