/**
 * Exact sampling of the discrete Gaussian N_Z(0, σ²) — P[X = x] ∝ exp(−x²/(2σ²)) over the
 * integers — after Canonne, Kamath & Steinke 2020, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS; arXiv:2004.00010), §5: Algorithm 1 draws Bernoulli(exp(−γ)) for a rational γ
 * by the alternating-series method, Algorithm 2 a discrete Laplace, Algorithm 3 the discrete
 * Gaussian by rejection from that Laplace. Every step uses exact rational arithmetic (BigInt) and
 * uniform random integers from an injected source, so no floating-point rounding enters the
 * distribution (the flaw of sampling a continuous Gaussian and rounding it; Mironov 2012). σ² is
 * taken as the exact rational value of the double σ squared.
 *
 * Each DAP aggregator adds one such draw to every entry of its aggregate share
 * (src/server/dap/), which makes the released sum ρ-zCDP with ρ = Δ²/(2σ²) (CKS20, Thm. 4).
 */

/** Uniform random integers: `below(n)` is uniform on {0, …, n − 1} (n ≥ 1). */
export type RandomBelow = (n: bigint) => bigint;

/** A source of uniform random 32-bit words (unsigned). */
export type RandomWords = () => number;

/** A σ the sampler cannot use. */
export class DiscreteGaussianError extends Error {
  override readonly name = 'DiscreteGaussianError';
}

const TWO_32 = 4294967296;

/**
 * Uniform integers below n from a source of 32-bit words, by rejection: draw just enough bits for
 * n − 1 and retry when the draw is ≥ n (each try succeeds with probability > 1/2).
 */
export function randomBelowFromWords(next: RandomWords): RandomBelow {
  return (n) => {
    if (n < 1n) throw new DiscreteGaussianError(`a uniform draw needs a bound ≥ 1, got ${n}`);
    if (n === 1n) return 0n;
    if (n <= 0xffffffffn) {
      // Fast path in doubles: n − 1 < 2^32 fits exactly.
      const bound = Number(n);
      const bits = 32 - Math.clz32(bound - 1);
      const mask = bits === 32 ? TWO_32 - 1 : 2 ** bits - 1;
      for (;;) {
        const x = (next() >>> 0) % (mask + 1);
        if (x < bound) return BigInt(x);
      }
    }
    const bits = (n - 1n).toString(2).length;
    const words = Math.ceil(bits / 32);
    const topBits = bits - 32 * (words - 1);
    const topMask = topBits === 32 ? TWO_32 - 1 : 2 ** topBits - 1;
    for (;;) {
      let x = BigInt((next() >>> 0) % (topMask + 1));
      for (let i = 1; i < words; i++) x = (x << 32n) | BigInt(next() >>> 0);
      if (x < n) return x;
    }
  };
}

/** Uniform integers from the platform CSPRNG (crypto.getRandomValues), for production noise. */
export function cryptoRandomBelow(): RandomBelow {
  const pool = new Uint32Array(256);
  let next = pool.length;
  return randomBelowFromWords(() => {
    if (next >= pool.length) {
      globalThis.crypto.getRandomValues(pool);
      next = 0;
    }
    return pool[next++] ?? 0;
  });
}

/** Seeded uniform integers (mulberry32 words) for tests and simulations, never for production. */
export function seededRandomBelow(seed: number): RandomBelow {
  let state = seed >>> 0;
  return randomBelowFromWords(() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  });
}

/** A non-negative rational num/den (den > 0). */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** The exact value of a finite double x > 0 as a fraction with a power-of-two denominator. */
function exactRational(x: number): Rational {
  let den = 1n;
  let scaled = x;
  // Doubling is exact in binary floating point; a finite double is an integer after ≤ 1074 steps.
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    den *= 2n;
  }
  return { num: BigInt(scaled), den };
}

/** floor(√n) for n ≥ 0 (Newton's method on integers). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // The double estimate is off by a few units at most for large n; Newton fixes it exactly.
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** Bernoulli(num/den) for 0 ≤ num ≤ den. */
function bernoulli(p: Rational, below: RandomBelow): boolean {
  return below(p.den) < p.num;
}

/** CKS20 Algorithm 1 for γ ∈ [0, 1]: Bernoulli(exp(−γ)) by the alternating series. */
function bernoulliExpSmall(gamma: Rational, below: RandomBelow): boolean {
  let k = 1n;
  while (bernoulli({ num: gamma.num, den: gamma.den * k }, below)) k += 1n;
  return k % 2n === 1n;
}

const ONE: Rational = { num: 1n, den: 1n };

/** CKS20 Algorithm 1: Bernoulli(exp(−γ)) for a rational γ ≥ 0. */
export function bernoulliExp(gamma: Rational, below: RandomBelow): boolean {
  const whole = gamma.num / gamma.den;
  // exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): stop at the first failure.
  for (let i = 0n; i < whole; i++) if (!bernoulliExpSmall(ONE, below)) return false;
  return bernoulliExpSmall({ num: gamma.num - whole * gamma.den, den: gamma.den }, below);
}

/**
 * CKS20 Algorithm 2 with s = 1: the discrete Laplace P[Y = y] ∝ exp(−|y|/t) for an integer t ≥ 1.
 */
export function sampleDiscreteLaplace(t: bigint, below: RandomBelow): bigint {
  for (;;) {
    const u = below(t);
    if (!bernoulliExp({ num: u, den: t }, below)) continue;
    let v = 0n;
    while (bernoulliExpSmall(ONE, below)) v += 1n;
    const x = u + t * v;
    const negative = below(2n) === 1n;
    // +0 and −0 would count zero twice.
    if (negative && x === 0n) continue;
    return negative ? -x : x;
  }
}

/** A prepared sampler for one σ: the rational σ² and the Laplace scale t = ⌊σ⌋ + 1. */
interface Prepared {
  /** σ² = a / b. */
  readonly a: bigint;
  readonly b: bigint;
  readonly t: bigint;
}

function prepare(sigma: number): Prepared {
  if (!(Number.isFinite(sigma) && sigma > 0))
    throw new DiscreteGaussianError(
      `the discrete Gaussian needs a finite σ > 0, got ${sigma}; take σ from the task's noise.sigma.`,
    );
  const s = exactRational(sigma);
  const a = s.num * s.num;
  const b = s.den * s.den;
  return { a, b, t: isqrt(a / b) + 1n };
}

/** CKS20 Algorithm 3: one draw of N_Z(0, σ²) by rejection from the discrete Laplace of scale t. */
function draw(p: Prepared, below: RandomBelow): bigint {
  const { a, b, t } = p;
  for (;;) {
    const y = sampleDiscreteLaplace(t, below);
    const abs = y < 0n ? -y : y;
    // (|y| − σ²/t)² / (2σ²) with σ² = a/b: (|y|·b·t − a)² / (2·a·b·t²).
    const diff = abs * b * t - a;
    if (bernoulliExp({ num: diff * diff, den: 2n * a * b * t * t }, below)) return y;
  }
}

/** One exact draw of the discrete Gaussian N_Z(0, σ²). */
export function sampleDiscreteGaussian(sigma: number, below: RandomBelow): bigint {
  return draw(prepare(sigma), below);
}

/** `count` independent draws of N_Z(0, σ²) (one per entry of an aggregate share). */
export function sampleDiscreteGaussians(
  count: number,
  sigma: number,
  below: RandomBelow,
): bigint[] {
  const p = prepare(sigma);
  return Array.from({ length: count }, () => draw(p, below));
}

/** The exact variance of N_Z(0, σ²) (slightly below σ² for small σ), by summing its pmf. */
export function discreteGaussianVariance(sigma: number): number {
  const reach = Math.ceil(12 * sigma) + 2;
  let z = 0;
  let second = 0;
  for (let x = -reach; x <= reach; x++) {
    const w = Math.exp(-(x * x) / (2 * sigma * sigma));
    z += w;
    second += x * x * w;
  }
  return second / z;
}
