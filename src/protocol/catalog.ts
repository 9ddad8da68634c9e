/**
 * Catalog wire forms (protocol v1), shared by the client and the thin server.
 *
 * - A raw item as a site owner writes it (`catalogItemInputSchema`): loose types, unknown fields kept.
 * - A sanitised item as the client stores it and as it crosses the worker boundary (`catalogItemSchema`).
 * - The catalog endpoint's bodies: full (`{ version, items }`) and delta (`{ version, upserts, deletions }`)
 *   for `GET <url>?since=<version>`. A bare array, JSON Lines or CSV body is a full catalog too.
 */
import { z } from 'zod';

/** A catalog version as sent by a server: a non-empty string or a non-negative integer, read as a string. */
export const catalogVersionSchema = z
  .union([z.string().min(1).max(200), z.number().int().nonnegative()])
  .transform((v) => String(v));

const optionalText = z.string().nullish();

/**
 * A raw catalog item as a site owner writes it (JSON, JSON Lines, or a CSV row of strings).
 * Only types are checked here; `src/catalog/normalize.ts` sanitises text, applies caps and defaults.
 * `null` means absent for every optional field. Unknown fields are kept (they go to `extra`).
 */
export const catalogItemInputSchema = z.looseObject({
  id: z.union([z.string(), z.number().finite()]),
  title: z.string(),
  description: optionalText,
  tags: z.union([z.array(z.string()), z.string()]).nullish(),
  category: optionalText,
  price: z.union([z.number(), z.string()]).nullish(),
  currency: optionalText,
  url: optionalText,
  image: optionalText,
  available: z.union([z.boolean(), z.string(), z.number()]).nullish(),
  updatedAt: z.union([z.string(), z.number()]).nullish(),
});

/** Values kept in an item's `extra` map (unknown input fields, sanitised). */
export const extraValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string()),
]);

/** One value of an item's `extra` map. */
export type ExtraValue = z.infer<typeof extraValueSchema>;

/** A sanitised catalog item: plain text, capped, defaults applied; what the client stores. */
export const catalogItemSchema = z.object({
  id: z.string().min(1).max(256),
  title: z.string().min(1).max(300),
  description: z.string().max(5000),
  tags: z.array(z.string()).max(50),
  category: z.string().optional(),
  price: z.number().finite().nonnegative().optional(),
  currency: z.string().length(3).optional(),
  url: z.string().optional(),
  image: z.string().optional(),
  available: z.boolean(),
  /** Milliseconds since the Unix epoch. */
  updatedAt: z.number().finite().optional(),
  extra: z.record(z.string(), extraValueSchema),
});

/** A sanitised catalog item. */
export type CatalogItem = z.infer<typeof catalogItemSchema>;

/** Full catalog body with strictly typed items (what a server should send). */
export const catalogFullSchema = z.object({
  version: catalogVersionSchema,
  items: z.array(catalogItemInputSchema),
});

/** Delta body for `GET <url>?since=<version>` with strictly typed items. */
export const catalogDeltaSchema = z.object({
  version: catalogVersionSchema,
  /** The version the delta applies to (optional; the client checks it when present). */
  since: catalogVersionSchema.optional(),
  upserts: z.array(catalogItemInputSchema),
  deletions: z.array(z.string().min(1)),
});

/** Full catalog body. */
export type CatalogFull = z.input<typeof catalogFullSchema>;
/** Delta catalog body. */
export type CatalogDelta = z.input<typeof catalogDeltaSchema>;

/**
 * Envelopes as the client reads them: items stay `unknown` so that each item is validated on
 * its own and an invalid item is skipped with a reason instead of failing the whole response.
 */
export const catalogFullEnvelopeSchema = z.object({
  version: catalogVersionSchema,
  items: z.array(z.unknown()),
});

/** Delta envelope as the client reads it (items validated one by one). */
export const catalogDeltaEnvelopeSchema = z.object({
  version: catalogVersionSchema,
  since: catalogVersionSchema.optional(),
  upserts: z.array(z.unknown()),
  deletions: z.array(z.string().min(1)),
});
