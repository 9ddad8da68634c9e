/**
 * L2 clipping, the step that bounds one user's contribution before Gaussian noise.
 * Abadi et al. 2016, "Deep Learning with Differential Privacy" (CCS), Algorithm 1;
 * McMahan et al. 2018, "Learning Differentially Private Recurrent Language Models" (ICLR).
 */
import { PRIVACY_MESSAGES, PrivacyParameterError } from './errors.ts';

/** Returns the Euclidean norm of a vector (accumulated in float64). */
export function l2Norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** Returns a copy of `vector` scaled by min(1, C / ‖vector‖₂); the input is never mutated. */
export function clipL2(vector: Float32Array, clipNorm: number): Float32Array {
  if (!Number.isFinite(clipNorm) || clipNorm <= 0) {
    throw new PrivacyParameterError(PRIVACY_MESSAGES.badNorm(clipNorm));
  }
  const norm = l2Norm(vector);
  // Float32 rounding can push a rescaled vector a hair above C; shrink by one ulp-ish margin.
  const scale = norm > clipNorm ? (clipNorm / norm) * (1 - 1e-6) : 1;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] ?? 0) * scale;
  return out;
}
