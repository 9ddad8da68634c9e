/**
 * Training the factored collab model (FISM as a next-item predictor, Kabbur et al., KDD 2013):
 * seeded initialisation and the per-user sampled-softmax gradient. Pure: the model is never mutated.
 */

import type { CollabModel } from '../engine/collab-model.ts';
import type { Rng } from '../shared/rng.ts';

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
