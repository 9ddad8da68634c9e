/**
 * Measurements of secure-aggregation tasks as the integer vectors a Prio3 SumVec report carries,
 * and back: the client encodes its own data (`encode*`), the collector decodes the noisy sums
 * (`decode*`). Layouts are fixed by the task document (src/protocol/dap.ts).
 */
import type { DapMeasurement } from '../protocol/dap.ts';
import type { Rng } from '../shared/rng.ts';

type Histogram = Extract<DapMeasurement, { kind: 'item-histogram' }>;
type RankerUpdate = Extract<DapMeasurement, { kind: 'ranker-update' }>;

/** A measurement that cannot be encoded (wrong length, non-finite values). */
export class DapMeasurementError extends Error {
  override readonly name = 'DapMeasurementError';
}

/**
 * The multi-hot vector of a visitor's last `maxItems` distinct items that the task counts
 * (`history` oldest first; items outside the task's list are skipped, so a long history
 * contributes exactly as much as one of `maxItems` items).
 */
export function encodeItemHistogram(m: Histogram, history: readonly string[]): number[] {
  const column = new Map(m.items.map((id, i) => [id, i]));
  const out = new Array<number>(m.items.length).fill(0);
  let taken = 0;
  for (let i = history.length - 1; i >= 0 && taken < m.maxItems; i--) {
    const c = column.get(history[i] ?? '');
    if (c === undefined || out[c] === 1) continue;
    out[c] = 1;
    taken++;
  }
  return out;
}

/** Rounds x ≥ 0 to floor(x) or ceil(x) with the probabilities that keep its mean (unbiased). */
function stochasticRound(x: number, rng: Rng): number {
  const low = Math.floor(x);
  return low + (rng() < x - low ? 1 : 0);
}

/**
 * A ranker delta as `[max(d,0)·s, max(−d,0)·s, 1]`, clipped to L2 norm `clip` first and rounded
 * stochastically (unbiased) to integers.
 */
export function encodeRankerDelta(m: RankerUpdate, delta: readonly number[], rng: Rng): number[] {
  const d = m.features.length;
  if (delta.length !== d || !delta.every(Number.isFinite)) {
    throw new DapMeasurementError(
      `a ranker delta needs ${d} finite values (features ${m.features.join(', ')}), got ${delta.length}`,
    );
  }
  const norm = Math.hypot(...delta);
  const factor = norm > m.clip ? m.clip / norm : 1;
  const out = new Array<number>(2 * d + 1).fill(0);
  delta.forEach((v, i) => {
    const scaled = v * factor * m.scale;
    if (scaled > 0) out[i] = stochasticRound(scaled, rng);
    else if (scaled < 0) out[d + i] = stochasticRound(-scaled, rng);
  });
  out[2 * d] = 1;
  return out;
}

/** The mean delta and the (noisy) number of contributors from a released, noisy sum. */
export function decodeRankerSum(
  m: RankerUpdate,
  sum: readonly number[],
): { readonly mean: number[]; readonly count: number } {
  const d = m.features.length;
  if (sum.length !== 2 * d + 1) {
    throw new DapMeasurementError(`a ranker sum has ${2 * d + 1} entries, got ${sum.length}`);
  }
  const count = sum[2 * d] ?? 0;
  // A noisy count below 1 would blow the mean up; such a batch carries no usable signal anyway.
  const divisor = Math.max(1, count) * m.scale;
  const mean = Array.from({ length: d }, (_, i) => ((sum[i] ?? 0) - (sum[d + i] ?? 0)) / divisor);
  return { mean, count };
}
