/**
 * The global collaborative model: item-side parameters only, no user data inside.
 *
 * A user is the weighted mean of the "history" rows (P) of the items they interacted with; an
 * item's score for that user is `u · Q[item] + bias[item]`. This is the factored item-item model
 * of FISM (Kabbur et al., KDD 2013) trained as a next-item predictor: each of a user's later
 * interactions is predicted from the recency-weighted earlier ones with a sampled softmax
 * (uniform negatives, so the log-proposal correction is a constant and cancels). The user
 * vector is computed on the device and never leaves it; only P, Q and the biases are shared.
 */

/** Item-side parameters of the collaborative model; arrays are row-major in `itemIds` order. */
export interface CollabModel {
  readonly version: string;
  /** Row order of every array. */
  readonly itemIds: readonly string[];
  readonly dims: number;
  /** n × dims, "P": how an item in the history shapes the user. */
  readonly history: Float32Array;
  /** n × dims, "Q": how an item is scored. */
  readonly target: Float32Array;
  /** n item biases (popularity the factors do not explain). */
  readonly bias: Float32Array;
}

/** One item of a user's history: its model row and how much it counts. */
export interface WeightedRow {
  readonly row: number;
  readonly weight: number;
}

/** Thrown when model arrays disagree with `itemIds` and `dims`, or a model file is malformed. */
export class CollabModelError extends Error {
  override readonly name = 'CollabModelError';
}

/** Checks that every array has the shape `itemIds` and `dims` imply; throws CollabModelError. */
export function assertCollabShape(model: CollabModel): void {
  const n = model.itemIds.length;
  const expect = (name: string, got: number, want: number) => {
    if (got !== want) {
      throw new CollabModelError(
        `collab model '${model.version}': ${name} has ${got} values, expected ${want} (${n} items × ${model.dims} dims); rebuild the model file.`,
      );
    }
  };
  expect('history', model.history.length, n * model.dims);
  expect('target', model.target.length, n * model.dims);
  expect('bias', model.bias.length, n);
}

/** User vector: the weighted mean (normalised by Σ|w|) of the history rows; zeros if empty. */
export function collabUserVector(
  model: CollabModel,
  history: readonly WeightedRow[],
): Float32Array {
  const d = model.dims;
  const n = model.itemIds.length;
  const user = new Float32Array(d);
  let total = 0;
  for (const { row, weight } of history) {
    if (row < 0 || row >= n || !Number.isFinite(weight) || weight === 0) continue;
    total += Math.abs(weight);
    const base = row * d;
    for (let k = 0; k < d; k++) user[k]! += weight * model.history[base + k]!;
  }
  if (total > 0) for (let k = 0; k < d; k++) user[k]! /= total;
  return user;
}

/** Scores every item for a user vector: `Q u + bias`, in row order. */
export function collabScores(model: CollabModel, userVector: Float32Array): Float32Array {
  const d = model.dims;
  const n = model.itemIds.length;
  const scores = new Float32Array(n);
  const q = model.target;
  for (let i = 0; i < n; i++) {
    let s = model.bias[i]!;
    const base = i * d;
    for (let k = 0; k < d; k++) s += q[base + k]! * userVector[k]!;
    scores[i] = s;
  }
  return scores;
}
