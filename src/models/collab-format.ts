/** The collab model file (`collab.bin`): a framed binary header plus little-endian Float32 arrays. */

import { z } from 'zod';
import { assertCollabShape, type CollabModel, CollabModelError } from '../engine/collab-model.ts';
import { readFrame, writeFrame } from '../wire/framed-binary.ts';

const MAGIC = 'HCOL';
const FORMAT = 1;

const HeaderSchema = z.object({
  format: z.literal(FORMAT),
  version: z.string(),
  dims: z.number().int().positive(),
  itemIds: z.array(z.string()),
});

/**
 * Encodes a model as bytes: `HCOL`, u32 LE header length, a JSON header (format, version, dims,
 * itemIds), zero padding to 4 bytes, then history, target and bias as little-endian Float32.
 */
export function serializeCollab(model: CollabModel): Uint8Array {
  assertCollabShape(model);
  const floats = model.history.length + model.target.length + model.bias.length;
  const header = {
    format: FORMAT,
    version: model.version,
    dims: model.dims,
    itemIds: model.itemIds,
  };
  const { bytes, view, payloadAt } = writeFrame(MAGIC, header, floats * 4);
  let offset = payloadAt;
  for (const array of [model.history, model.target, model.bias]) {
    for (let i = 0; i < array.length; i++, offset += 4) view.setFloat32(offset, array[i]!, true);
  }
  return bytes;
}

/** Decodes bytes written by `serializeCollab`; throws CollabModelError (with `fix`) on any mismatch. */
export function parseCollab(
  bytes: Uint8Array,
  fix = 'rebuild it with npm run train:collab',
): CollabModel {
  const fail = (why: string): never => {
    throw new CollabModelError(`not a Hearth collab model file: ${why}; ${fix}.`);
  };
  const { header, view, payloadAt: start } = readFrame(bytes, MAGIC, HeaderSchema, fail);
  const { version, itemIds, dims } = header;
  const n = itemIds.length;
  const expected = start + (2 * n * dims + n) * 4;
  if (bytes.length !== expected)
    fail(
      `file is ${bytes.length} bytes, the header (${n} items × ${dims} dims) implies ${expected}`,
    );
  const read = (offset: number, count: number) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + i * 4, true);
    return out;
  };
  const history = read(start, n * dims);
  const target = read(start + n * dims * 4, n * dims);
  const bias = read(start + 2 * n * dims * 4, n);
  return { version, itemIds, dims, history, target, bias };
}
