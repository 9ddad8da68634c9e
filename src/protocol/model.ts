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
/** The suffix of the model devices use, written by a promotion. */
const SERVED_SUFFIX = '.served';

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
  // What devices use (`<name>.served`) is written only by a promotion, so the federated
  // evaluation gate cannot be sidestepped by uploading a served model directly.
  name: modelFields.name.refine((name) => !name.endsWith(SERVED_SUFFIX), {
    message: `a '<name>${SERVED_SUFFIX}' model is written only by POST /v1/admin/promote; upload '<name>' and promote it`,
  }),
});
export type ModelUpload = z.infer<typeof ModelUploadSchema>;

/**
 * Admin request to serve a model: copies the latest version of `name` (which must be `version`
 * when given) to the model `<name>.served`, which clients use for recommendations. A model under
 * the federated evaluation gate (`cooccurrence`) is promoted only when its latest evaluation shows
 * an improvement, unless `override` is true; an override must say why (`reason`, stored with the
 * promotion).
 */
export const PromoteSchema = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    kind: z.literal('promote'),
    name: z.string().min(1).max(57),
    version: z.number().int().nonnegative().optional(),
    override: z.boolean().optional(),
    reason: z.string().trim().min(1).max(1_000).optional(),
  })
  .refine((p) => p.override !== true || p.reason !== undefined, {
    message: 'an override needs a reason: say why the evaluation gate is overridden',
    path: ['reason'],
  });

/** One stored promotion (`GET /v1/admin/promotions`). */
export const PromotionRecordSchema = z.strictObject({
  /** The promoted model and its version, and the `<name>.served` version it became. */
  name: z.string(),
  from: z.number().int().nonnegative(),
  served: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
  /** True when the operator overrode the evaluation gate; the reason the operator gave, if any. */
  override: z.boolean(),
  reason: z.string().nullable(),
  /** The evaluation decision the promotion rested on (one line), or null when none applied. */
  evidence: z.string().nullable(),
});
export type PromotionRecord = z.infer<typeof PromotionRecordSchema>;

/**
 * Query of `GET /v1/model`: `name` filters by model name; `version` (with `name`) asks for one
 * stored version instead of the latest (a federated evaluation downloads its candidate this way).
 */
export const ModelQuerySchema = z
  .object({
    name: z.string().max(64).optional(),
    version: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,8})$/, 'version is a non-negative integer (at most 9 digits)')
      .transform(Number)
      .optional(),
  })
  .refine((q) => q.version === undefined || q.name !== undefined, {
    message: 'version needs a model name: GET /v1/model?name=<model>&version=<n>',
    path: ['version'],
  });
/** The name under which a promoted copy of model `name` is published. */
export function servedName(name: string): string {
  return `${name}${SERVED_SUFFIX}`;
}
