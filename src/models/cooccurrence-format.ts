/**
 * The served private item-item model (`cooccurrence`, src/protocol/cooccurrence.ts) decoded into
 * the engine's `CooccurrenceModel`: from its layout and flat f32 vector, or from a `GET /v1/model`
 * entry (base64). Every length and index is checked; a model that does not fit is refused whole.
 */
import {
  type CooccurrenceModel,
  CooccurrenceModelError,
  createCooccurrenceModel,
} from '../engine/cooccurrence-model.ts';
import {
  type CooccurrenceLayout,
  CooccurrenceLayoutSchema,
  cooccurrenceLength,
} from '../protocol/cooccurrence.ts';
import type { ModelEntry } from '../protocol/model.ts';
import { decodeBase64 } from '../wire/base64.ts';

const NOT_BASE64 = /[^A-Za-z0-9+/]/;

/** True for padded standard base64: whole 4-character groups, at most two `=` at the end. */
function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  // One character-class scan: a megabyte model is checked in a few milliseconds.
  return !NOT_BASE64.test(padding === 0 ? text : text.slice(0, -padding));
}

/** The engine's model from a layout and its flat vector; throws CooccurrenceModelError. */
export function cooccurrenceModelOf(
  layout: CooccurrenceLayout,
  params: Float32Array,
  version: string,
): CooccurrenceModel {
  const expected = cooccurrenceLength(layout);
  if (params.length !== expected)
    throw new CooccurrenceModelError(
      `private item-item model '${version}' has ${params.length} values, its layout needs ${expected}; the collector must republish it.`,
    );
  const n = layout.itemIds.length;
  const m = layout.pairs.count;
  const hasValues = layout.kernel.kind === 'attribute';
  const pairsAt = n + (hasValues ? n : 0);
  const k = layout.kernel;
  return createCooccurrenceModel({
    version,
    itemIds: layout.itemIds,
    popularity: params.slice(0, n),
    kernel: k.kind === 'attribute' ? { ...k, values: params.slice(n, 2 * n) } : k,
    pairs: {
      first: params.subarray(pairsAt, pairsAt + m),
      second: params.subarray(pairsAt + m, pairsAt + 2 * m),
      counts: params.subarray(pairsAt + 2 * m, pairsAt + 3 * m),
      mix: layout.pairs.mix,
      alpha: layout.pairs.alpha,
      beta: layout.pairs.beta,
      floor: layout.pairs.floor,
      scale: layout.pairs.scale,
    },
  });
}

/**
 * The engine's model from a published model entry (`f32-base64` data and a `cooccurrence`
 * layout); throws CooccurrenceModelError for any other entry.
 */
export function cooccurrenceModelOfEntry(entry: ModelEntry): CooccurrenceModel {
  const parsed = CooccurrenceLayoutSchema.safeParse(entry.layout);
  if (!parsed.success)
    throw new CooccurrenceModelError(
      `model '${entry.name}' v${entry.version} has no private item-item layout: ${parsed.error.issues[0]?.message ?? 'missing'}.`,
    );
  // The decoder reads any character outside the alphabet as 0: a damaged string would decode
  // to other, plausible values instead of being refused.
  if (!isBase64(entry.data))
    throw new CooccurrenceModelError(
      `model '${entry.name}' v${entry.version}: its data is not base64; the collector must republish it.`,
    );
  const bytes = decodeBase64(entry.data);
  if (bytes.byteLength % 4 !== 0)
    throw new CooccurrenceModelError(
      `model '${entry.name}' v${entry.version}: its data is not a whole number of f32 values.`,
    );
  const params = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return cooccurrenceModelOf(parsed.data, params, `${entry.name}-v${entry.version}`);
}
