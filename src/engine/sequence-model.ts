/**
 * The second global collaborative signal: a sparse, directed item-item model of "what people
 * interacted with next". Item side only (no user data inside): for each item, its top-k
 * successors by recency-weighted co-occurrence inside a short window, normalised by the two
 * items' popularity (`c_ab / (n_a^alpha · n_b^beta)`, an asymmetric cosine as in Aiolli's
 * asymmetric item-kNN, RecSys 2013). A user scores an item by the recency-weighted sum of the
 * weights from their history items, computed on the device.
 */
import type { WeightedRow } from './collab-model.ts';

/** Item-side sparse weights in CSR form; rows and columns are indices into `itemIds`. */
export interface SequenceModel {
  readonly version: string;
  readonly itemIds: readonly string[];
  /** n + 1 offsets into `neighbours`/`weights`: row a's entries are [offsets[a], offsets[a+1]). */
  readonly offsets: Uint32Array;
  readonly neighbours: Uint32Array;
  readonly weights: Float32Array;
}

/** How co-occurrences become weights. */
export interface SequenceModelOptions {
  /** Pairs further apart than this many events in a user's sequence are ignored. */
  readonly window: number;
  /** A pair `gap` events apart counts `pairDecay^(gap-1)`. */
  readonly pairDecay: number;
  /** Weight of the backward direction (b before a) relative to the forward one. */
  readonly backward: number;
  /** Exponent of the source item's count in the normaliser. */
  readonly alpha: number;
  /** Exponent of the target item's count (lower than alpha: popular targets are not punished). */
  readonly beta: number;
  /** Neighbours kept per item (bounds the file size and on-device scoring time). */
  readonly topK: number;
}

/** Defaults chosen on a validation split carved from training (see docs/engine.md). */
export const DEFAULT_SEQUENCE_OPTIONS: SequenceModelOptions = {
  window: 20,
  pairDecay: 0.9,
  backward: 0.5,
  alpha: 0.7,
  beta: 0.3,
  topK: 200,
};

/** Thrown when a sequence model's arrays disagree with each other or a file is malformed. */
export class SequenceModelError extends Error {
  override readonly name = 'SequenceModelError';
}

/** Builds the model from each user's chronological item rows (pure). */
export function trainSequenceModel(
  itemIds: readonly string[],
  sequences: readonly (readonly number[])[],
  options: SequenceModelOptions = DEFAULT_SEQUENCE_OPTIONS,
  version = 'sequence-v1',
): SequenceModel {
  const n = itemIds.length;
  const counts = new Float64Array(n);
  const pairs: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const add = (a: number, b: number, w: number) => {
    const row = pairs[a]!;
    row.set(b, (row.get(b) ?? 0) + w);
  };
  for (const raw of sequences) {
    const rows = raw.filter((r) => Number.isInteger(r) && r >= 0 && r < n);
    for (const r of new Set(rows)) counts[r]! += 1;
    for (let t = 1; t < rows.length; t++) {
      for (let j = Math.max(0, t - options.window); j < t; j++) {
        const a = rows[j]!;
        const b = rows[t]!;
        if (a === b) continue;
        const w = options.pairDecay ** (t - j - 1);
        add(a, b, w);
        if (options.backward > 0) add(b, a, options.backward * w);
      }
    }
  }
  const offsets = new Uint32Array(n + 1);
  const kept: [number, number][][] = pairs.map((row, a) => {
    const scored: [number, number][] = [];
    for (const [b, c] of row)
      scored.push([b, c / (counts[a]! ** options.alpha * counts[b]! ** options.beta)]);
    scored.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    return scored.slice(0, options.topK);
  });
  kept.forEach((row, a) => {
    offsets[a + 1] = offsets[a]! + row.length;
  });
  const neighbours = new Uint32Array(offsets[n]!);
  const weights = new Float32Array(offsets[n]!);
  kept.forEach((row, a) => {
    row.forEach(([b, w], i) => {
      neighbours[offsets[a]! + i] = b;
      weights[offsets[a]! + i] = w;
    });
  });
  return { version, itemIds: [...itemIds], offsets, neighbours, weights };
}

/**
 * Scores for every model row: Σ over history rows of weight × the row's neighbour weights.
 * Rows no history item points to score 0.
 */
export function sequenceScores(
  model: SequenceModel,
  history: readonly WeightedRow[],
): Float32Array {
  const n = model.itemIds.length;
  const out = new Float32Array(n);
  for (const { row, weight } of history) {
    if (row < 0 || row >= n || !Number.isFinite(weight)) continue;
    const end = model.offsets[row + 1]!;
    for (let e = model.offsets[row]!; e < end; e++)
      out[model.neighbours[e]!]! += weight * model.weights[e]!;
  }
  return out;
}

/** Checks the CSR arrays against `itemIds`; throws SequenceModelError. */
export function assertSequenceShape(model: SequenceModel): void {
  const n = model.itemIds.length;
  const fail = (why: string): never => {
    throw new SequenceModelError(
      `sequence model '${model.version}': ${why}; rebuild it with scripts/train-collab.ts.`,
    );
  };
  if (model.offsets.length !== n + 1)
    fail(`offsets has ${model.offsets.length} values, expected ${n + 1}`);
  const edges = model.offsets[n]!;
  if (model.neighbours.length !== edges || model.weights.length !== edges)
    fail(`expected ${edges} neighbours and weights`);
  for (let a = 0; a < n; a++)
    if (model.offsets[a + 1]! < model.offsets[a]!) fail('offsets decrease');
  for (const b of model.neighbours) if (b >= n) fail(`neighbour ${b} out of range`);
}
