/**
 * Central training of the collaborative model: Adam (Kingma & Ba, 2015) on the average of
 * per-user gradients from `collabUserGradient`'s accumulator, so a federated trainer that
 * averages the same per-user gradients optimises the very same objective.
 */

import type { CollabModel } from '../engine/collab-model.ts';
import type { Rng } from '../shared/rng.ts';
import {
  accumulateCollabGradient,
  addL2,
  type CollabGradientOptions,
  createCollabModel,
  DEFAULT_COLLAB_GRADIENT_OPTIONS,
  zeroCollabGradient,
} from './collab-gradient.ts';

/** Hyper-parameters of central training. */
export interface CollabTrainOptions {
  readonly dims: number;
  readonly epochs: number;
  /** Users averaged per Adam step. */
  readonly batchUsers: number;
  readonly learningRate: number;
  readonly gradient: CollabGradientOptions;
  readonly version: string;
}

/** Defaults chosen on a validation split carved from training (see docs/engine.md). */
export const DEFAULT_COLLAB_TRAIN_OPTIONS: CollabTrainOptions = {
  dims: 32,
  epochs: 20,
  batchUsers: 16,
  learningRate: 0.01,
  gradient: DEFAULT_COLLAB_GRADIENT_OPTIONS,
  version: 'collab-v1',
};

/** Trains a model from each user's chronological item rows; `onEpoch` reports the mean loss. */
export function trainCollab(
  itemIds: readonly string[],
  sequences: readonly (readonly number[])[],
  options: CollabTrainOptions,
  rng: Rng,
  onEpoch?: (epoch: number, loss: number, model: CollabModel) => void,
): CollabModel {
  const init = createCollabModel(itemIds, options.dims, rng, options.version);
  const params = [init.history, init.target, init.bias];
  const first = params.map((p) => new Float32Array(p.length));
  const second = params.map((p) => new Float32Array(p.length));
  const grad = zeroCollabGradient(init);
  const grads = [grad.history, grad.target, grad.bias];
  const users = sequences.map((_, i) => i).filter((i) => (sequences[i]?.length ?? 0) >= 2);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(users, rng);
    let epochLoss = 0;
    for (let start = 0; start < users.length; start += options.batchUsers) {
      const batch = users.slice(start, start + options.batchUsers);
      for (const g of grads) g.fill(0);
      for (const u of batch) {
        epochLoss +=
          accumulateCollabGradient(
            init,
            sequences[u]!,
            options.gradient,
            rng,
            grad,
            1 / batch.length,
          ) * batch.length;
      }
      if (options.gradient.l2 > 0) addL2(init, options.gradient.l2, grad);
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let p = 0; p < params.length; p++) {
        const theta = params[p]!;
        const g = grads[p]!;
        const m = first[p]!;
        const v = second[p]!;
        for (let i = 0; i < theta.length; i++) {
          const gi = g[i]!;
          if (gi === 0 && m[i] === 0) continue;
          m[i] = beta1 * m[i]! + (1 - beta1) * gi;
          v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
          theta[i]! -= (options.learningRate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
        }
      }
    }
    onEpoch?.(epoch, epochLoss / Math.max(1, users.length), init);
  }
  return init;
}

function shuffle(values: number[], rng: Rng): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}
