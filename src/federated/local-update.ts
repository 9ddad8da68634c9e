/**
 * The local part of a federated round: a few SGD steps on the visitor's own interaction rows,
 * starting from the global model, returning the delta θ_local − θ_global (FedAvg's client
 * update, McMahan et al. 2017, Algorithm 1 "ClientUpdate"). The objective is the engine's
 * `collabUserGradient`, the same one central training averages.
 */
import type { CollabModel } from '../engine/collab-model.ts';
import {
  type CollabGradientOptions,
  collabUserGradient,
  DEFAULT_COLLAB_GRADIENT_OPTIONS,
} from '../models/collab-gradient.ts';
import type { Rng } from '../shared/rng.ts';
import { flattenCollab, unflattenCollab } from './params.ts';

/** Local training hyper-parameters (from the round config). */
export interface LocalTrainingOptions {
  readonly localSteps: number;
  readonly learningRate: number;
  readonly gradient?: CollabGradientOptions;
}

/** Returns θ_local − θ_global after `localSteps` SGD steps on one user's rows; the model is not mutated. */
export function computeLocalDelta(
  model: CollabModel,
  sequence: readonly number[],
  options: LocalTrainingOptions,
  rng: Rng,
): Float32Array {
  const start = flattenCollab(model);
  const theta = Float32Array.from(start);
  const gradientOptions = options.gradient ?? DEFAULT_COLLAB_GRADIENT_OPTIONS;
  for (let step = 0; step < options.localSteps; step++) {
    const current = step === 0 ? model : unflattenCollab(model, theta, model.version);
    const { grad } = collabUserGradient(current, sequence, gradientOptions, rng);
    const flat = flattenCollab({ ...current, ...grad });
    for (let i = 0; i < theta.length; i++)
      theta[i] = (theta[i] ?? 0) - options.learningRate * (flat[i] ?? 0);
  }
  const delta = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) delta[i] = (theta[i] ?? 0) - (start[i] ?? 0);
  return delta;
}
