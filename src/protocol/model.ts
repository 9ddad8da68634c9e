/** Wire schema of the published global models (GET /v1/model, admin PUT /v1/admin/model). */
import { z } from 'zod';
import { CooccurrenceLayoutSchema, cooccurrenceLength } from './cooccurrence.ts';
import { PROTOCOL_VERSION } from './version.ts';

/** Layout of a collaborative model's flat parameter vector: history, target, bias rows. */
export const CollabLayoutSchema = z.strictObject({
  kind: z.literal('collab'),
  itemIds: z.array(z.string().min(1).max(256)),
  dims: z.number().int().positive(),
});
/** Layout of the ranker's flat parameter vector: one weight per feature, in this order. */
export const RankerLayoutSchema = z.strictObject({
  kind: z.literal('ranker'),
  features: z.array(z.string().min(1).max(64)).min(1).max(256),
});
/** What a flat parameter vector means; clients train only models whose layout they know. */
export const ModelLayoutSchema = z.discriminatedUnion('kind', [
  CollabLayoutSchema,
  RankerLayoutSchema,
  CooccurrenceLayoutSchema,
]);
export type ModelLayout = z.infer<typeof ModelLayoutSchema>;

/** Number of float parameters a layout requires. */
export function layoutLength(layout: ModelLayout): number {
  switch (layout.kind) {
    case 'collab':
      return layout.itemIds.length * (2 * layout.dims + 1);
    case 'ranker':
      return layout.features.length;
    case 'cooccurrence':
      return cooccurrenceLength(layout);
    default: {
      const never: never = layout;
      throw new Error(`unknown layout ${JSON.stringify(never)}`);
    }
  }
}

/** A named model's parameters (base64 of little-endian Float32) and what they mean. */
const modelFields = {
  name: z.string().min(1).max(64),
  encoding: z.literal('f32-base64'),
  data: z.string(),
  layout: ModelLayoutSchema.optional(),
};

/** One published model version. */
export const ModelEntrySchema = z.strictObject({
  ...modelFields,
  version: z.number().int().nonnegative(),
  length: z.number().int().positive(),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

/** Response of GET /v1/model. */
export const ModelsResponseSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('models'),
  models: z.array(ModelEntrySchema),
});
export type ModelsResponse = z.infer<typeof ModelsResponseSchema>;

/** Admin upload of an initial model (version is assigned by the server). */
export const ModelUploadSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('model-upload'),
  ...modelFields,
});
export type ModelUpload = z.infer<typeof ModelUploadSchema>;

/**
 * Admin request to serve a model: copies the latest version of `name` (which must be `version`
 * when given) to the model `<name>.served`, which clients use for recommendations.
 */
export const PromoteSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('promote'),
  name: z.string().min(1).max(57),
  version: z.number().int().nonnegative().optional(),
  /**
   * Serve the version without a winning federated evaluation (the operator's override), saying
   * why in `reason` (e.g. `npm start`'s seed of simulated demo visitors).
   */
  override: z.boolean().optional(),
  reason: z.string().min(1).max(500).optional(),
});
/** The name under which a promoted copy of model `name` is published. */
export function servedName(name: string): string {
  return `${name}.served`;
}
