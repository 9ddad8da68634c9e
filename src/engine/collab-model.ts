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

import { readFrame, writeFrame } from '../wire/framed-binary.ts';
import type { Rng } from '../shared/rng.ts';

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

/** How one user's sequence is turned into a training signal. */
export interface CollabGradientOptions {
  /** Weight of an earlier item is `decay^age + longTermWeight` (age in events, 0 = latest). */
  readonly decay: number;
  /** Flat weight every earlier item keeps, so old taste is not forgotten entirely. */
  readonly longTermWeight: number;
  /** Uniformly sampled negative items per predicted position. */
  readonly negatives: number;
  /** Most positions predicted per user (sampled with the rng); bounds on-device compute. */
  readonly maxPositions: number;
  /** L2 penalty on every parameter (dense: `l2 * θ` is added to the gradient). */
  readonly l2: number;
}

/** Dense gradient with the same shapes as the model. */
export interface CollabGradient {
  readonly history: Float32Array;
  readonly target: Float32Array;
  readonly bias: Float32Array;
}

/** Defaults chosen on a validation split carved from training (see docs/engine.md). */
export const DEFAULT_COLLAB_GRADIENT_OPTIONS: CollabGradientOptions = {
  decay: 0.9,
  longTermWeight: 0.01,
  negatives: 128,
  maxPositions: 64,
  l2: 1e-6,
};

/** Thrown when model arrays disagree with `itemIds` and `dims`, or a model file is malformed. */
export class CollabModelError extends Error {
  override readonly name = 'CollabModelError';
}

/** Creates a model with small uniform random factors (seeded) and zero biases. */
export function createCollabModel(
  itemIds: readonly string[],
  dims: number,
  rng: Rng,
  version = 'collab-init',
  scale = 0.1,
): CollabModel {
  const n = itemIds.length;
  const history = new Float32Array(n * dims);
  const target = new Float32Array(n * dims);
  for (let i = 0; i < history.length; i++) history[i] = (rng() * 2 - 1) * scale;
  for (let i = 0; i < target.length; i++) target[i] = (rng() * 2 - 1) * scale;
  return { version, itemIds: [...itemIds], dims, history, target, bias: new Float32Array(n) };
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

/** Allocates a zero gradient shaped like the model. */
export function zeroCollabGradient(model: CollabModel): CollabGradient {
  return {
    history: new Float32Array(model.history.length),
    target: new Float32Array(model.target.length),
    bias: new Float32Array(model.bias.length),
  };
}

/**
 * Loss and dense gradient for ONE user's chronological rows (mean over the predicted positions,
 * plus the L2 term). Pure: the model is not changed; randomness comes from `rng` only.
 */
export function collabUserGradient(
  model: CollabModel,
  sequence: readonly number[],
  options: CollabGradientOptions,
  rng: Rng,
): { loss: number; grad: CollabGradient } {
  const grad = zeroCollabGradient(model);
  let loss = accumulateCollabGradient(model, sequence, options, rng, grad, 1);
  if (options.l2 > 0) loss += addL2(model, options.l2, grad);
  return { loss, grad };
}

/** Adds `l2 * θ` to the gradient and returns the penalty `l2/2 ‖θ‖²`. */
export function addL2(model: CollabModel, l2: number, grad: CollabGradient): number {
  let sq = 0;
  const pairs: [Float32Array, Float32Array][] = [
    [model.history, grad.history],
    [model.target, grad.target],
    [model.bias, grad.bias],
  ];
  for (const [theta, g] of pairs) {
    for (let i = 0; i < theta.length; i++) {
      const v = theta[i]!;
      sq += v * v;
      g[i]! += l2 * v;
    }
  }
  return 0.5 * l2 * sq;
}

/** Picks up to `count` distinct positions in [1, length) with a partial Fisher–Yates shuffle. */
function samplePositions(length: number, count: number, rng: Rng): Uint8Array {
  const chosen = new Uint8Array(length);
  const pool = Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  const take = Math.min(count, pool.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
    chosen[pool[i]!] = 1;
  }
  return chosen;
}

/**
 * Adds `scale ×` one user's mean sampled-softmax gradient into `out` (no L2) and returns
 * `scale ×` the mean loss; 0 when the user has fewer than two usable rows. Used by
 * `collabUserGradient` and by trainers that sum many users into one buffer.
 */
export function accumulateCollabGradient(
  model: CollabModel,
  sequence: readonly number[],
  options: CollabGradientOptions,
  rng: Rng,
  out: CollabGradient,
  scale: number,
): number {
  const d = model.dims;
  const n = model.itemIds.length;
  const rows = sequence.filter((r) => Number.isInteger(r) && r >= 0 && r < n);
  const length = rows.length;
  if (length < 2 || n < 2) return 0;
  const { decay, longTermWeight: floor } = options;
  const chosen = samplePositions(length, options.maxPositions, rng);
  let positions = 0;
  for (let t = 1; t < length; t++) positions += chosen[t]!;
  const perPosition = scale / positions;

  // Forward: A_t = Σ_{j<t} decay^(t-1-j) P_j and B_t = Σ_{j<t} P_j, built incrementally.
  const recent = new Float64Array(d);
  const all = new Float64Array(d);
  const user = new Float64Array(d);
  // gUser[t] = ∂loss/∂u_t / Z_t, kept only for chosen positions.
  const gUser = new Float64Array(length * d);
  const candidates = new Int32Array(options.negatives + 1);
  const logits = new Float64Array(options.negatives + 1);
  let loss = 0;
  let decayPow = 1;
  for (let t = 1; t < length; t++) {
    const prev = rows[t - 1]! * d;
    for (let k = 0; k < d; k++) {
      const p = model.history[prev + k]!;
      recent[k] = decay * recent[k]! + p;
      all[k]! += p;
    }
    decayPow *= decay;
    if (chosen[t] === 0) continue;
    const z = decay === 1 ? t : (1 - decayPow) / (1 - decay);
    const norm = z + floor * t;
    for (let k = 0; k < d; k++) user[k] = (recent[k]! + floor * all[k]!) / norm;

    const positive = rows[t]!;
    candidates[0] = positive;
    for (let c = 1; c < candidates.length; c++) {
      let item = Math.floor(rng() * n);
      while (item === positive) item = Math.floor(rng() * n);
      candidates[c] = item;
    }
    let max = -Infinity;
    for (let c = 0; c < candidates.length; c++) {
      const base = candidates[c]! * d;
      let s = model.bias[candidates[c]!]!;
      for (let k = 0; k < d; k++) s += model.target[base + k]! * user[k]!;
      logits[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < candidates.length; c++) {
      logits[c] = Math.exp(logits[c]! - max);
      sum += logits[c]!;
    }
    loss += -Math.log(logits[0]! / sum);
    const gBase = t * d;
    for (let c = 0; c < candidates.length; c++) {
      const dz = (logits[c]! / sum - (c === 0 ? 1 : 0)) * perPosition;
      const item = candidates[c]!;
      const base = item * d;
      out.bias[item]! += dz;
      for (let k = 0; k < d; k++) {
        out.target[base + k]! += dz * user[k]!;
        gUser[gBase + k]! += (dz * model.target[base + k]!) / norm;
      }
    }
  }

  // Backward to P: ∂/∂P_j = Σ_{t>j} gUser_t (decay^(t-1-j) + floor), via two reverse recursions.
  const expAcc = new Float64Array(d);
  const sumAcc = new Float64Array(d);
  for (let j = length - 2; j >= 0; j--) {
    const gBase = (j + 1) * d;
    const base = rows[j]! * d;
    for (let k = 0; k < d; k++) {
      const g = gUser[gBase + k]!;
      expAcc[k] = g + decay * expAcc[k]!;
      sumAcc[k]! += g;
      out.history[base + k]! += expAcc[k]! + floor * sumAcc[k]!;
    }
  }
  return (loss / positions) * scale;
}

const MAGIC = 'HCOL';
const FORMAT = 1;

/**
 * Encodes a model as bytes: `HCOL`, u32 LE header length, a JSON header (format, version, dims,
 * itemIds), zero padding to 4 bytes, then history, target and bias as little-endian Float32.
 */
export function serializeCollab(model: CollabModel): Uint8Array {
  assertCollabShape(model);
  const floats = model.history.length + model.target.length + model.bias.length;
  const header = {
    format: FORMAT,
    version: model.version,
    dims: model.dims,
    itemIds: model.itemIds,
  };
  const { bytes, view, payloadAt } = writeFrame(MAGIC, header, floats * 4);
  let offset = payloadAt;
  for (const array of [model.history, model.target, model.bias]) {
    for (let i = 0; i < array.length; i++, offset += 4) view.setFloat32(offset, array[i]!, true);
  }
  return bytes;
}

/** Decodes bytes written by `serializeCollab`; throws CollabModelError on any mismatch. */
export function parseCollab(bytes: Uint8Array): CollabModel {
  const fail = (why: string): never => {
    throw new CollabModelError(
      `not a Hearth collab model file: ${why}; rebuild it with npm run train:collab.`,
    );
  };
  const { header, view, payloadAt: start } = readFrame(bytes, MAGIC, fail);
  const h = header as { format?: unknown; version?: unknown; dims?: unknown; itemIds?: unknown };
  if (h.format !== FORMAT) fail(`unsupported format ${String(h.format)}`);
  if (typeof h.version !== 'string') fail('missing version');
  if (typeof h.dims !== 'number' || !Number.isInteger(h.dims) || h.dims <= 0) fail('bad dims');
  if (!Array.isArray(h.itemIds) || !h.itemIds.every((id) => typeof id === 'string'))
    fail('bad itemIds');
  const itemIds = h.itemIds as string[];
  const dims = h.dims as number;
  const n = itemIds.length;
  if (bytes.length !== start + (2 * n * dims + n) * 4) fail('payload length does not match header');
  const read = (offset: number, count: number) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + i * 4, true);
    return out;
  };
  const history = read(start, n * dims);
  const target = read(start + n * dims * 4, n * dims);
  const bias = read(start + 2 * n * dims * 4, n);
  return { version: h.version as string, itemIds, dims, history, target, bias };
}
