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

/** Thrown when a sequence model's arrays disagree with each other or a file is malformed. */
export class SequenceModelError extends Error {
  override readonly name = 'SequenceModelError';
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
