/** A source of uniform random numbers in [0, 1); injected so every random step can be seeded. */
export type Rng = () => number;

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/**
 * Returns a fast seeded generator (mulberry32); deterministic for a given 32-bit seed. Its outputs
 * are multiples of 2^-32: it serves tests, simulations and evaluation only, never production noise
 * (`gaussian` below is exact in the tail for it all the same, see `openUniform`).
 */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Random words are fetched from the CSPRNG in blocks: one getRandomValues call per 256 draws
// instead of one per draw (a noised update of a 300k-parameter model needs ~600k uniforms).
const pool = new Uint32Array(512);
let poolNext = pool.length;

/**
 * A cryptographically random uniform in [0, 1) with 53 random bits (every double of the form
 * k·2^-53), from crypto.getRandomValues: production noise, OLH reports and ids.
 */
export function cryptoRng(): number {
  if (poolNext + 2 > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolNext = 0;
  }
  const high = (pool[poolNext] ?? 0) >>> 5;
  const low = (pool[poolNext + 1] ?? 0) >>> 6;
  poolNext += 2;
  // 27 + 26 bits, the standard construction of a uniform double.
  return (high * TWO_POW_26 + low) / TWO_POW_53;
}

/** Below this a uniform is redrawn inside [0, ZOOM) instead of being used as it is. */
const ZOOM = 2 ** -16;
/** ZOOM^60 = 2^-960 is still a normal double; reaching it has probability 2^-960. */
const MAX_ZOOMS = 60;

/**
 * Draws a uniform in (0, 1) whose relative resolution does not depend on the source's: a draw
 * below 2^-16 is replaced by 2^-16 times a fresh draw (a uniform conditioned on [0, 2^-16) is
 * uniform there), so a value far down is resolved as finely, relative to its size, as one just
 * above 2^-16. Exact for any source whose outputs are multiples of 2^-k with k ≥ 16 (the 32-bit
 * and 53-bit sources here).
 * Without it, −ln u is capped by the source's smallest step: 32-bit uniforms cut a Box–Muller
 * Gaussian at 6.66σ, which makes the mechanism's real δ larger than the calibrated one.
 */
export function openUniform(rng: Rng): number {
  let scale = 1;
  for (let zoom = 0; zoom < MAX_ZOOMS; zoom++) {
    const u = rng();
    if (u >= ZOOM) return scale * u;
    scale *= ZOOM;
  }
  return scale;
}

/**
 * Draws a standard normal variate (Box–Muller) from a uniform source. The radius comes from
 * `openUniform`, so the tail is not limited by the source's resolution.
 */
export function gaussian(rng: Rng): number {
  const u = openUniform(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
