/**
 * The served private item-item model (`cooccurrence`), as it travels in `GET /v1/model`: a layout
 * (this schema) plus one flat little-endian f32 vector. Everything in it is post-processing of
 * DP-released sums (the item-popularity histogram and, optionally, the head-pair counts) and of
 * public catalog data, so a visitor may download it without any privacy cost.
 *
 * The flat vector, in this order:
 * - `popularity`: n values, the denoised released popularity of each of `itemIds` (≥ 0);
 * - `attribute`: n values, only with an `attribute` kernel: each item's public attribute value
 *   (e.g. its release year; the catalog median where an item has none);
 * - `pairs`: 3·m values, m = `pairs.count`: the first item index of every pair (m values, exact
 *   integers), the second (m values), then the pair's thresholded co-occurrence (m values, in
 *   weight units of the pair task, > 0).
 */
import { z } from 'zod';

/** Version of the layout; bump on any change of meaning. */
export const COOCCURRENCE_FORMAT = 1 as const;

/** Model name under which the collector publishes a candidate (`.served` once promoted). */
export const COOCCURRENCE_MODEL = 'cooccurrence';

/** Most items a served model may hold (the DAP histogram's bound). */
export const MAX_COOCCURRENCE_ITEMS = 100_000;

/** Most pairs a served model may hold (the pair task's bound). */
export const MAX_COOCCURRENCE_PAIRS = 100_000;

const positive = z.number().positive().finite();
const nonNegative = z.number().nonnegative().finite();

/**
 * The free part of the model: how close two items are by public data. With `attribute`, items
 * whose numeric catalog field `field` is within a few `tau` of each other
 * (`exp(−(a_i − a_j)² / 2τ²)`); with `category`, items sharing catalog categories (cosine of the
 * category sets); with `none`, no kernel (popularity and pairs only). Either way the kernel is
 * multiplied by the scored item's popularity^`gamma`, scaled to a maximum of 1.
 */
export const CooccurrenceKernelSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('attribute'),
    field: z.string().min(1).max(64),
    tau: positive,
    gamma: nonNegative,
  }),
  z.strictObject({ kind: z.literal('category'), gamma: nonNegative }),
  z.strictObject({ kind: z.literal('none') }),
]);

/** The kernel of a served model. */
export type CooccurrenceKernel = z.infer<typeof CooccurrenceKernelSchema>;

/**
 * How the device turns a pair's count t into the weight from a history item j to a scored item
 * i: `mix · scale · t / (max(pop_j, floor)^alpha · max(pop_i, floor)^beta)`; `scale` makes the
 * largest such weight 1 before `mix`.
 */
export const CooccurrencePairsSchema = z.strictObject({
  count: z.number().int().nonnegative().max(MAX_COOCCURRENCE_PAIRS),
  mix: nonNegative,
  alpha: nonNegative,
  beta: nonNegative,
  floor: positive,
  scale: nonNegative,
});

/** One DP release the model was built from (shown where the model's origin is explained). */
export const CooccurrenceSourceSchema = z.strictObject({
  taskId: z.string().min(1).max(64),
  kind: z.enum(['item-histogram', 'pair-counts']),
  reports: z.number().int().nonnegative(),
  /** zCDP ρ of one visitor's report to this task (one honest aggregator). */
  rho: nonNegative,
  /** Noise σ each aggregator added to every entry. */
  sigma: nonNegative,
});

/** Layout of the served private item-item model. */
export const CooccurrenceLayoutSchema = z
  .strictObject({
    kind: z.literal('cooccurrence'),
    format: z.literal(COOCCURRENCE_FORMAT),
    itemIds: z.array(z.string().min(1).max(256)).min(1).max(MAX_COOCCURRENCE_ITEMS),
    kernel: CooccurrenceKernelSchema,
    pairs: CooccurrencePairsSchema,
    sources: z.array(CooccurrenceSourceSchema).min(1).max(8),
    /** The visitor-level (ε, δ) of all sources together (zCDP ρ added, then converted). */
    epsilon: nonNegative,
    delta: z.number().positive().max(1),
  })
  .refine((l) => new Set(l.itemIds).size === l.itemIds.length, {
    message: 'itemIds repeats an id',
    path: ['itemIds'],
  });

/** Layout of the served private item-item model. */
export type CooccurrenceLayout = z.infer<typeof CooccurrenceLayoutSchema>;

/** Number of f32 values the layout's flat vector holds. */
export function cooccurrenceLength(layout: CooccurrenceLayout): number {
  const n = layout.itemIds.length;
  return n + (layout.kernel.kind === 'attribute' ? n : 0) + 3 * layout.pairs.count;
}
