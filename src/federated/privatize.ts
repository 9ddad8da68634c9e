/**
 * Local DP for a model update: clip the delta to L2 norm C, then add N(0, (zC)²) per coordinate
 * (the Gaussian mechanism, see src/privacy/gaussian.ts). In the local model the neighbouring
 * inputs are any two clipped deltas of the same visitor, which differ by up to 2C in L2, so the
 * effective noise multiplier is z/2 and one release costs ρ = 1/(2·(z/2)²) = 2/z² zCDP
 * (Bun & Steinke 2016). No subsampling amplification is claimed: the server sees who uploads.
 */
import { clipL2 } from '../privacy/clip.ts';
import { addGaussianNoise } from '../privacy/gaussian.ts';
import type { Rng } from '../shared/rng.ts';

/** Clips `delta` to `clipNorm` and adds Gaussian noise of std `noiseMultiplier · clipNorm`. */
export function privatizeUpdate(
  delta: Float32Array,
  clipNorm: number,
  noiseMultiplier: number,
  rng: Rng,
): Float32Array {
  const clipped = clipL2(delta, clipNorm);
  return noiseMultiplier > 0 ? addGaussianNoise(clipped, noiseMultiplier * clipNorm, rng) : clipped;
}

/** zCDP ρ of one local-DP update with noise multiplier z (sensitivity 2C); Infinity when z = 0. */
export function updateRho(noiseMultiplier: number): number {
  return noiseMultiplier > 0 ? 2 / (noiseMultiplier * noiseMultiplier) : Number.POSITIVE_INFINITY;
}

/** The noise multiplier z (relative to C) equal to `effective` z measured against sensitivity 2C. */
export function noiseMultiplierFor(effective: number): number {
  return 2 * effective;
}
