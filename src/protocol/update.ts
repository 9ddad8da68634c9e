/**
 * Wire form of a federated update upload (POST /v1/updates, `application/octet-stream`):
 * `HUPD` magic, u32 LE header length, a JSON header validated by `UpdateHeaderSchema`, zero
 * padding to a multiple of 4, then the payload. Binary because an update is the full dense model
 * (hundreds of thousands of floats); JSON numbers would be several times larger and slower.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';

/** Payload encodings: raw little-endian Float32, or blockwise int8 (see src/federated/quantize.ts). */
export const UpdateEncodingSchema = z.enum(['f32', 'q8']);
export type UpdateEncoding = z.infer<typeof UpdateEncodingSchema>;

/** Header of an update upload. `id` is random per update: idempotency, not identity. */
export const UpdateHeaderSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('update'),
  id: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'id must be 16-64 URL-safe random characters'),
  model: z.string().min(1).max(64),
  modelVersion: z.number().int().nonnegative(),
  length: z.number().int().positive(),
  encoding: UpdateEncodingSchema,
});
export type UpdateHeader = z.infer<typeof UpdateHeaderSchema>;

export const UPDATE_MAGIC = 'HUPD';
