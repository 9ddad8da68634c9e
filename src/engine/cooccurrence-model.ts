/**
 * The private item-item model: learned only from DP-released sums (item popularity over each
 * visitor's last events, and optionally co-occurrence counts of head-item pairs) plus public
 * catalog data, then scored on the device. The weight from a history item j to a scored item i is
 *
 *   W[j, i] = k(j, i) · f_i  +  P[j, i]
 *
 * - `k` is a public kernel: closeness in a numeric catalog attribute, `exp(−(a_i − a_j)² / 2τ²)`
 *   (e.g. release year: what visitors take next is often of the same era), or the cosine of the two
 *   items' category sets; `f_i = pop_i^γ / max` is the scored item's DP popularity.
 * - `P` holds the DP head pairs that cleared the noise threshold, normalised by the two items'
 *   popularity like the central sequence model (`t / (pop_j^α · pop_i^β)`), times `mix`.
 *
 * A visitor's score of i is Σ_j h_j W[j, i] over their history weights h_j. The kernel part is
 * computed in O(n) per request without expanding W: history weights are pooled per attribute
 * value (or per category) first, so the n × n matrix never exists on the device.
 */
import type { WeightedRow } from './collab-model.ts';

/** The public kernel with what the device derives from it once per model. */
export type CooccurrenceKernelModel =
  | {
      readonly kind: 'attribute';
      /** The catalog field the values come from (e.g. 'year'). */
      readonly field: string;
      readonly tau: number;
      readonly gamma: number;
      /** The attribute value of each model row. */
      readonly values: Float32Array;
      /** Row → bin of `binValues` (rows with equal or, beyond 1,024 values, close values share one). */
      readonly bin: Uint32Array;
      readonly binValues: Float64Array;
      /** pop^γ / max per row. */
      readonly factor: Float32Array;
    }
  | {
      readonly kind: 'category';
      readonly gamma: number;
      /** pop^γ / max per row. */
      readonly factor: Float32Array;
    }
  | { readonly kind: 'none' };

/** The private item-item model as the engine scores with it; rows index `itemIds`. */
export interface CooccurrenceModel {
  readonly version: string;
  readonly itemIds: readonly string[];
  /** Denoised released popularity per row (≥ 0): the engine's popularity prior. */
  readonly popularity: Float32Array;
  readonly kernel: CooccurrenceKernelModel;
  /** Directed pair weights P[j, i] (history row j → scored row i), CSR, `mix` included. */
  readonly pairOffsets: Uint32Array;
  readonly pairNeighbours: Uint32Array;
  readonly pairWeights: Float32Array;
}

/** The kernel as a served model describes it (its values come with an attribute kernel). */
export type CooccurrenceKernelInput =
  | {
      readonly kind: 'attribute';
      readonly field: string;
      readonly tau: number;
      readonly gamma: number;
      readonly values: Float32Array;
    }
  | { readonly kind: 'category'; readonly gamma: number }
  | { readonly kind: 'none' };

/** Released pairs and how to weight them (see `src/protocol/cooccurrence.ts`). */
export interface CooccurrencePairsInput {
  /** First and second item row of each pair, and its thresholded count (> 0). */
  readonly first: ArrayLike<number>;
  readonly second: ArrayLike<number>;
  readonly counts: ArrayLike<number>;
  readonly mix: number;
  readonly alpha: number;
  readonly beta: number;
  readonly floor: number;
  readonly scale: number;
}

/** What `createCooccurrenceModel` takes: the served model's decoded parts. */
export interface CooccurrenceModelInput {
  readonly version: string;
  readonly itemIds: readonly string[];
  readonly popularity: Float32Array;
  readonly kernel: CooccurrenceKernelInput;
  readonly pairs: CooccurrencePairsInput;
}

/** A served model whose parts disagree (lengths, indices, non-finite values). */
export class CooccurrenceModelError extends Error {
  override readonly name = 'CooccurrenceModelError';
}

/** Most distinct attribute values kept exactly; beyond, values are pooled in bins of τ/8. */
export const MAX_ATTRIBUTE_BINS = 1024;

/** pop^γ scaled to a maximum of 1 (all 0 when nothing is popular). */
function popularityFactor(popularity: Float32Array, gamma: number): Float32Array {
  const out = new Float32Array(popularity.length);
  let max = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.max(0, popularity[i]!) ** gamma;
    if (popularity[i]! <= 0) out[i] = 0;
    max = Math.max(max, out[i]!);
  }
  if (max > 0) for (let i = 0; i < out.length; i++) out[i]! /= max;
  return out;
}

/** Bins of the attribute values: exact values, or a τ/8 grid when there are too many. */
function attributeBins(
  values: Float32Array,
  tau: number,
): { bin: Uint32Array; binValues: Float64Array } {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const step = distinct.length > MAX_ATTRIBUTE_BINS ? tau / 8 : 0;
  const key = (v: number) => (step > 0 ? Math.round(v / step) * step : v);
  const keys = [...new Set(distinct.map(key))].sort((a, b) => a - b);
  const index = new Map(keys.map((k, i) => [k, i]));
  const bin = Uint32Array.from(values, (v) => index.get(key(v)) ?? 0);
  return { bin, binValues: Float64Array.from(keys) };
}

/** Builds the device's model from the served parts; throws CooccurrenceModelError. */
export function createCooccurrenceModel(input: CooccurrenceModelInput): CooccurrenceModel {
  const n = input.itemIds.length;
  const fail = (why: string): never => {
    throw new CooccurrenceModelError(
      `private item-item model '${input.version}': ${why}; the collector must rebuild and republish it.`,
    );
  };
  if (input.popularity.length !== n)
    fail(`${input.popularity.length} popularity values for ${n} items`);
  if (!input.popularity.every((v) => Number.isFinite(v) && v >= 0))
    fail('a popularity value is negative or not finite');
  const k = input.kernel;
  let kernel: CooccurrenceKernelModel;
  if (k.kind === 'attribute') {
    if (k.values.length !== n) fail(`${k.values.length} attribute values for ${n} items`);
    if (!k.values.every(Number.isFinite)) fail(`an attribute value of '${k.field}' is not finite`);
    if (!(k.tau > 0)) fail('the kernel width tau must be positive');
    kernel = {
      ...k,
      ...attributeBins(k.values, k.tau),
      factor: popularityFactor(input.popularity, k.gamma),
    };
  } else if (k.kind === 'category') {
    kernel = {
      kind: 'category',
      gamma: k.gamma,
      factor: popularityFactor(input.popularity, k.gamma),
    };
  } else kernel = { kind: 'none' };
  return {
    version: input.version,
    itemIds: input.itemIds,
    popularity: input.popularity,
    kernel,
    ...pairCsr(input.pairs, input.popularity, fail),
  };
}

/** The directed, normalised pair weights in CSR form (both directions of each released pair). */
function pairCsr(
  pairs: CooccurrencePairsInput,
  popularity: Float32Array,
  fail: (why: string) => never,
): Pick<CooccurrenceModel, 'pairOffsets' | 'pairNeighbours' | 'pairWeights'> {
  const n = popularity.length;
  const m = pairs.counts.length;
  if (pairs.first.length !== m || pairs.second.length !== m)
    fail('the pair arrays differ in length');
  const degree = new Uint32Array(n + 1);
  for (let e = 0; e < m; e++) {
    const a = pairs.first[e]!;
    const b = pairs.second[e]!;
    const t = pairs.counts[e]!;
    if (
      !(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < n && b < n && a !== b)
    )
      fail(`pair ${e} names rows ${a} and ${b}, outside 0..${n - 1} or equal`);
    if (!(Number.isFinite(t) && t > 0)) fail(`pair ${e} has count ${t}, expected > 0`);
    degree[a + 1]!++;
    degree[b + 1]!++;
  }
  for (let i = 0; i < n; i++) degree[i + 1]! += degree[i]!;
  const offsets = Uint32Array.from(degree);
  const neighbours = new Uint32Array(2 * m);
  const weights = new Float32Array(2 * m);
  const cursor = Uint32Array.from(offsets.subarray(0, n));
  const norm = (x: number) => Math.max(popularity[x]!, pairs.floor);
  const put = (from: number, to: number, t: number) => {
    const at = cursor[from]!++;
    neighbours[at] = to;
    weights[at] =
      (pairs.mix * pairs.scale * t) / (norm(from) ** pairs.alpha * norm(to) ** pairs.beta);
  };
  for (let e = 0; e < m; e++) {
    const a = pairs.first[e]!;
    const b = pairs.second[e]!;
    put(a, b, pairs.counts[e]!);
    put(b, a, pairs.counts[e]!);
  }
  return { pairOffsets: offsets, pairNeighbours: neighbours, pairWeights: weights };
}

/**
 * Pooled history weight per category id, for the category kernel: each history item spreads its
 * weight over its categories as `h / √|C_j|` (the cosine's normalisation).
 */
export interface CategoryRows {
  /** Row → its category ids, CSR over model rows. */
  readonly offsets: Uint32Array;
  readonly ids: Uint32Array;
  readonly count: number;
}

/**
 * Scores every model row for a history: Σ_j h_j (k(j, i) f_i + P[j, i]). `categories` is needed
 * only by a category kernel (the catalog's categories per model row).
 */
export function cooccurrenceScores(
  model: CooccurrenceModel,
  history: readonly WeightedRow[],
  categories: CategoryRows | null = null,
): Float32Array {
  const n = model.itemIds.length;
  const out = new Float32Array(n);
  const valid = history.filter((h) => h.row >= 0 && h.row < n && Number.isFinite(h.weight));
  const kernel = model.kernel;
  if (kernel.kind === 'attribute' && valid.length > 0) {
    const bins = kernel.binValues.length;
    const pooled = new Float64Array(bins);
    for (const { row, weight } of valid) pooled[kernel.bin[row]!]! += weight;
    const reach = new Float64Array(bins);
    const twoTauSq = 2 * kernel.tau * kernel.tau;
    for (let b = 0; b < bins; b++) {
      const w = pooled[b]!;
      if (w === 0) continue;
      const v = kernel.binValues[b]!;
      for (let c = 0; c < bins; c++) {
        const d = kernel.binValues[c]! - v;
        reach[c]! += w * Math.exp(-(d * d) / twoTauSq);
      }
    }
    for (let i = 0; i < n; i++) out[i] = kernel.factor[i]! * reach[kernel.bin[i]!]!;
  } else if (kernel.kind === 'category' && categories !== null && valid.length > 0) {
    const pooled = new Float64Array(categories.count);
    for (const { row, weight } of valid) {
      const start = categories.offsets[row]!;
      const end = categories.offsets[row + 1]!;
      if (end === start) continue;
      const share = weight / Math.sqrt(end - start);
      for (let e = start; e < end; e++) pooled[categories.ids[e]!]! += share;
    }
    for (let i = 0; i < n; i++) {
      const start = categories.offsets[i]!;
      const end = categories.offsets[i + 1]!;
      if (end === start || kernel.factor[i] === 0) continue;
      let sum = 0;
      for (let e = start; e < end; e++) sum += pooled[categories.ids[e]!]!;
      out[i] = (kernel.factor[i]! * sum) / Math.sqrt(end - start);
    }
  }
  for (const { row, weight } of valid) {
    const end = model.pairOffsets[row + 1]!;
    for (let e = model.pairOffsets[row]!; e < end; e++)
      out[model.pairNeighbours[e]!]! += weight * model.pairWeights[e]!;
  }
  return out;
}

/** P[from, to]: the released pair weight between two model rows (0 when the pair is absent). */
export function pairWeight(model: CooccurrenceModel, from: number, to: number): number {
  if (from < 0 || to < 0) return 0;
  const end = model.pairOffsets[from + 1] ?? 0;
  for (let e = model.pairOffsets[from] ?? 0; e < end; e++)
    if (model.pairNeighbours[e] === to) return model.pairWeights[e]!;
  return 0;
}

/** The attribute kernel's closeness of two model rows in [0, 1] (0 without an attribute kernel). */
export function attributeCloseness(model: CooccurrenceModel, a: number, b: number): number {
  const kernel = model.kernel;
  if (kernel.kind !== 'attribute' || a < 0 || b < 0) return 0;
  const d = kernel.values[a]! - kernel.values[b]!;
  return Math.exp(-(d * d) / (2 * kernel.tau * kernel.tau));
}
