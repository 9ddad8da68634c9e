/**
 * Rényi-DP accountant for the (optionally Poisson-subsampled) Gaussian mechanism.
 * Mironov 2017, "Rényi Differential Privacy" (CSF): Gaussian RDP ε(α) = α·Δ²/(2σ²), additive
 * composition. Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled
 * Gaussian Mechanism" (arXiv:1908.10530), §3.3: integer-α closed form for sampling rate q.
 * RDP → (ε, δ): Canonne, Kamath & Steinke 2020, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS), Prop. 12 (also Asoodeh et al. 2021), tighter than Mironov's Prop. 3.
 */
import { assertDelta, PRIVACY_MESSAGES, PrivacyParameterError } from './errors.ts';

/** Default Rényi orders searched by the conversion (as in common DP-SGD accountants). */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 12 + i),
  80,
  96,
  128,
  192,
  256,
  512,
  1024,
];

/** One accounted Gaussian release: noise multiplier z = σ/Δ, sampling rate q, repeated `steps` times. */
export interface GaussianRelease {
  readonly noiseMultiplier: number;
  readonly sampleRate?: number;
  readonly steps?: number;
}

/** RDP of one (unsampled) Gaussian mechanism at order α: α / (2 z²). */
export function gaussianRdp(noiseMultiplier: number, order: number): number {
  if (!(noiseMultiplier > 0)) return Number.POSITIVE_INFINITY;
  return order / (2 * noiseMultiplier * noiseMultiplier);
}

function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

function logBinomial(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * RDP of the sampled Gaussian mechanism at integer order α ≥ 2 (Mironov et al. 2019, Eq. for A_α):
 * A_α = Σ_k C(α,k) (1−q)^(α−k) q^k exp((k²−k)/(2z²)), ε(α) = log A_α / (α−1).
 */
export function sampledGaussianRdp(
  noiseMultiplier: number,
  sampleRate: number,
  order: number,
): number {
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new PrivacyParameterError(PRIVACY_MESSAGES.badRate(sampleRate));
  }
  if (sampleRate === 1) return gaussianRdp(noiseMultiplier, order);
  if (!(noiseMultiplier > 0)) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(order) || order < 2) return Number.NaN;
  const z2 = noiseMultiplier * noiseMultiplier;
  let logA = Number.NEGATIVE_INFINITY;
  for (let k = 0; k <= order; k++) {
    const term =
      logBinomial(order, k) +
      (order - k) * Math.log1p(-sampleRate) +
      k * Math.log(sampleRate) +
      (k * k - k) / (2 * z2);
    logA = logAdd(logA, term);
  }
  return logA / (order - 1);
}

/** Total RDP curve (one value per order) of a sequence of Gaussian releases, composed additively. */
export function composeRdp(
  releases: readonly GaussianRelease[],
  orders: readonly number[] = DEFAULT_ORDERS,
): number[] {
  return orders.map((order) => {
    let total = 0;
    for (const r of releases) {
      const q = r.sampleRate ?? 1;
      const per =
        q === 1
          ? gaussianRdp(r.noiseMultiplier, order)
          : sampledGaussianRdp(r.noiseMultiplier, q, order);
      total += per * (r.steps ?? 1);
    }
    return total;
  });
}

/**
 * Converts an RDP curve to (ε, δ)-DP (Canonne–Kamath–Steinke 2020, Prop. 12):
 * ε = min_α rdp(α) + log((α−1)/α) − (log δ + log α)/(α−1). Returns the best ε and its order.
 */
export function rdpToEpsilon(
  rdp: readonly number[],
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): { epsilon: number; order: number } {
  assertDelta(delta);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = Number.NaN;
  orders.forEach((order, i) => {
    const value = rdp[i];
    if (value === undefined || !Number.isFinite(value) || order <= 1) return;
    const eps =
      value + Math.log((order - 1) / order) - (Math.log(delta) + Math.log(order)) / (order - 1);
    if (eps < best) {
      best = eps;
      bestOrder = order;
    }
  });
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** (ε at δ) of `rho`-zCDP, i.e. a Gaussian RDP curve α·rho, over the default orders. */
export function rhoToEpsilon(rho: number, delta: number): number {
  if (rho === 0) return 0;
  return rdpToEpsilon(
    DEFAULT_ORDERS.map((a) => a * rho),
    delta,
  ).epsilon;
}

/** The zCDP parameter rho = Δ² / (2σ²) = 1 / (2 z²) of one Gaussian release. */
export function gaussianRho(noiseMultiplier: number): number {
  if (!(noiseMultiplier > 0)) return Number.POSITIVE_INFINITY;
  return 1 / (2 * noiseMultiplier * noiseMultiplier);
}

/** Largest zCDP ρ whose (ε, δ) conversion stays within `epsilon` (bisection on a log scale). */
export function rhoForBudget(epsilon: number, delta: number): number {
  if (epsilon === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  let lo = 1e-12;
  let hi = 1e6;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (rhoToEpsilon(mid, delta) > epsilon) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** The noise multiplier z of one Gaussian release costing `rho` (inverse of `gaussianRho`). */
export function noiseForRho(rho: number): number {
  return rho === Number.POSITIVE_INFINITY ? 0 : 1 / Math.sqrt(2 * rho);
}

/** Smallest noise multiplier z such that `steps` unsampled Gaussian releases stay within (ε, δ). */
export function noiseForBudget(epsilon: number, delta: number, steps: number): number {
  return noiseForRho(rhoForBudget(epsilon, delta) / steps);
}
