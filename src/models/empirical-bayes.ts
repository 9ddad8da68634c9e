/**
 * Empirical-Bayes denoising of a noisy released histogram (post-processing: no privacy cost).
 * Each entry is y = c + N(0, σ²) with an unknown non-negative count c. A discrete prior over a
 * grid on [0, max y] is fitted to all entries by the NPMLE's EM iteration (Kiefer & Wolfowitz
 * 1956; Jiang & Zhang 2009, "General maximum likelihood empirical Bayes estimation of normal
 * means", Ann. Statist.), and each entry is replaced by its posterior mean E[c | y]: never
 * negative, shrunk toward the bulk where the noise dominates, close to y where the signal does.
 *
 * Released DAP sums are integers, so the EM runs over distinct values weighted by their counts:
 * a 10,000-item histogram takes a few hundred distinct values, not 10,000 rows.
 */

/** Grid size and iterations of the EM. */
export interface NpmleOptions {
  readonly gridSize: number;
  readonly iterations: number;
}

/** Defaults (the research prototype's; more change the estimates by < 1%). */
export const DEFAULT_NPMLE_OPTIONS: NpmleOptions = { gridSize: 300, iterations: 300 };

/**
 * The posterior mean E[c | y] of every entry under the NPMLE prior; with σ = 0 the entries
 * clipped at 0.
 */
export function npmlePosteriorMean(
  y: ArrayLike<number>,
  sigma: number,
  options: NpmleOptions = DEFAULT_NPMLE_OPTIONS,
): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (!(sigma > 0)) {
    for (let i = 0; i < n; i++) out[i] = Math.max(0, y[i]!);
    return out;
  }
  const weightOf = new Map<number, number>();
  let max = 1;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    weightOf.set(v, (weightOf.get(v) ?? 0) + 1);
    max = Math.max(max, v);
  }
  const values = Float64Array.from(weightOf.keys());
  const weights = Float64Array.from(weightOf.values());
  const grid = npmleGrid(max, options.gridSize);
  const g = grid.length;
  const d = values.length;
  // Likelihood of each distinct value under each grid point (the normal density's constant cancels).
  const like = new Float64Array(d * g);
  for (let r = 0; r < d; r++) {
    for (let k = 0; k < g; k++) {
      const z = (values[r]! - grid[k]!) / sigma;
      like[r * g + k] = Math.exp(-0.5 * z * z);
    }
  }
  let prior = new Float64Array(g).fill(1 / g);
  const posterior = new Float64Array(g);
  for (let it = 0; it < options.iterations; it++) {
    const next = new Float64Array(g);
    for (let r = 0; r < d; r++) {
      const total = posteriorRow(like, r, g, prior, posterior);
      if (total <= 0) continue;
      const w = weights[r]! / (n * total);
      for (let k = 0; k < g; k++) next[k]! += w * posterior[k]!;
    }
    prior = next;
  }
  const meanOf = new Map<number, number>();
  for (let r = 0; r < d; r++) {
    const total = posteriorRow(like, r, g, prior, posterior);
    let mean = 0;
    for (let k = 0; k < g; k++) mean += posterior[k]! * grid[k]!;
    // A value far outside every grid point has no likelihood left: keep it, clipped at 0.
    meanOf.set(values[r]!, total > 0 ? mean / total : Math.max(0, values[r]!));
  }
  for (let i = 0; i < n; i++) out[i] = meanOf.get(y[i]!) ?? 0;
  return out;
}

/** 0 and a geometric grid from 0.25 to `max` (fine near 0, where most tail counts are). */
function npmleGrid(max: number, size: number): Float64Array {
  const grid = new Float64Array(Math.max(2, size));
  const lo = Math.min(0.25, max);
  const steps = grid.length - 2;
  for (let k = 1; k < grid.length; k++)
    grid[k] = steps === 0 ? max : lo * (max / lo) ** ((k - 1) / steps);
  return grid;
}

/** Unnormalised posterior over the grid of distinct value r into `out`; returns its sum. */
function posteriorRow(
  like: Float64Array,
  r: number,
  g: number,
  prior: Float64Array,
  out: Float64Array,
): number {
  let total = 0;
  for (let k = 0; k < g; k++) {
    const p = like[r * g + k]! * prior[k]!;
    out[k] = p;
    total += p;
  }
  return total;
}
