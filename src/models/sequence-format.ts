/**
 * Binary file of a SequenceModel: `HSEQ`, u32 LE header length, a JSON header (format, version,
 * itemIds, edges), zero padding to 4 bytes, then offsets (u32), neighbours (u32) and weights
 * (f32), all little-endian.
 */

import { z } from 'zod';
import {
  assertSequenceShape,
  type SequenceModel,
  SequenceModelError,
} from '../engine/sequence-model.ts';
import { readFrame, writeFrame } from '../wire/framed-binary.ts';

const MAGIC = 'HSEQ';
const FORMAT = 1;

const HeaderSchema = z.object({
  format: z.literal(FORMAT),
  version: z.string(),
  itemIds: z.array(z.string()),
  edges: z.number().int().nonnegative(),
});

/** Encodes a model as bytes. */
export function serializeSequence(model: SequenceModel): Uint8Array {
  assertSequenceShape(model);
  const edges = model.neighbours.length;
  const header = { format: FORMAT, version: model.version, itemIds: model.itemIds, edges };
  const {
    bytes,
    view,
    payloadAt: start,
  } = writeFrame(MAGIC, header, (model.offsets.length + 2 * edges) * 4);
  const neighboursAt = start + model.offsets.length * 4;
  const weightsAt = neighboursAt + edges * 4;
  for (let i = 0; i < model.offsets.length; i++)
    view.setUint32(start + i * 4, model.offsets[i]!, true);
  for (let i = 0; i < edges; i++) {
    view.setUint32(neighboursAt + i * 4, model.neighbours[i]!, true);
    view.setFloat32(weightsAt + i * 4, model.weights[i]!, true);
  }
  return bytes;
}

/** Decodes bytes written by `serializeSequence`; throws SequenceModelError (with `fix`) on any mismatch. */
export function parseSequence(
  bytes: Uint8Array,
  fix = 'rebuild it with npm run train:collab',
): SequenceModel {
  const fail = (why: string): never => {
    throw new SequenceModelError(`not a Hearth sequence model file: ${why}; ${fix}.`);
  };
  const { header, view, payloadAt: start } = readFrame(bytes, MAGIC, HeaderSchema, fail);
  const { version, itemIds, edges } = header;
  const expected = start + (itemIds.length + 1 + 2 * edges) * 4;
  if (bytes.length !== expected)
    fail(
      `file is ${bytes.length} bytes, the header (${itemIds.length} items, ${edges} edges) implies ${expected}`,
    );
  let offset = start;
  const u32 = (count: number) => {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++, offset += 4) out[i] = view.getUint32(offset, true);
    return out;
  };
  const offsets = u32(itemIds.length + 1);
  const neighbours = u32(edges);
  const weights = new Float32Array(edges);
  for (let i = 0; i < edges; i++, offset += 4) weights[i] = view.getFloat32(offset, true);
  const model: SequenceModel = {
    version,
    itemIds,
    offsets,
    neighbours,
    weights,
  };
  assertSequenceShape(model);
  return model;
}
