/**
 * The Gaussian mechanism: add N(0, σ²) to every coordinate of an L2-bounded vector.
 * Dwork & Roth 2014, "The Algorithmic Foundations of Differential Privacy", §3.5 / App. A;
 * exact (ε, δ) curve from Balle & Wang 2018, "Improving the Gaussian Mechanism for Differential
 * Privacy: Analytical Calibration and Optimal Denoising" (ICML), Theorem 8.
 */
import { gaussian, type Rng } from '../shared/rng.ts';
import { PRIVACY_MESSAGES, PrivacyParameterError } from './errors.ts';

/** Returns a copy of `vector` with independent N(0, sigma²) noise added to each coordinate. */
export function addGaussianNoise(vector: Float32Array, sigma: number, rng: Rng): Float32Array {
  if (!Number.isFinite(sigma) || sigma < 0) {
    throw new PrivacyParameterError(PRIVACY_MESSAGES.badNoise(sigma));
  }
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] ?? 0) + sigma * gaussian(rng);
  return out;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26-free form via erfc with ~1e-7 accuracy). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function, Numerical Recipes' Chebyshev fit (relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Exact δ(ε) of one Gaussian mechanism with L2 sensitivity `sensitivity` and noise std `sigma`
 * (Balle & Wang 2018, Thm 8): δ = Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ).
 */
export function gaussianDeltaExact(epsilon: number, sigma: number, sensitivity = 1): number {
  const a = sensitivity / (2 * sigma);
  const b = (epsilon * sigma) / sensitivity;
  return normalCdf(a - b) - Math.exp(epsilon) * normalCdf(-a - b);
}

/** Smallest ε with gaussianDeltaExact(ε) ≤ δ, by bisection (the exact curve, for comparisons). */
export function gaussianEpsilonExact(delta: number, sigma: number, sensitivity = 1): number {
  let lo = 0;
  let hi = 1;
  while (gaussianDeltaExact(hi, sigma, sensitivity) > delta && hi < 1e4) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (gaussianDeltaExact(mid, sigma, sensitivity) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
