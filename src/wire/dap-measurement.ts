/**
 * Measurements of secure-aggregation tasks as the integer vectors a Prio3 SumVec report carries,
 * and back: the client encodes its own data (`encode*`), the collector decodes the noisy sums
 * (`decode*`). Layouts are fixed by the task document (src/protocol/dap.ts).
 */
import type { DapMeasurement } from '../protocol/dap.ts';
import type { Rng } from '../shared/rng.ts';

type Histogram = Extract<DapMeasurement, { kind: 'item-histogram' }>;
type RankerUpdate = Extract<DapMeasurement, { kind: 'ranker-update' }>;
type PairCounts = Extract<DapMeasurement, { kind: 'pair-counts' }>;

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

/**
 * The pair co-occurrence vector of a visitor's history (`history` = item ids of positive events,
 * oldest first): pairs of the task's items at most `window` events apart among the last
 * `maxEvents`, weighted `decay^(gap−1)`, capped at 1 per cell, clipped to L2 `clip`, scaled and
 * rounded stochastically; if rounding pushed the integer norm over `clip·scale`, random positive
 * entries are lowered by one until it is within (so the proof's bound and the sensitivity hold).
 */
export function encodePairCounts(m: PairCounts, history: readonly string[], rng: Rng): number[] {
  const n = m.items.length;
  const index = new Map(m.items.map((id, i) => [id, i]));
  const column = new Map(m.cells.map(([a, b], c) => [a * n + b, c]));
  const weights = new Float64Array(m.cells.length);
  const recent = history.slice(Math.max(0, history.length - m.maxEvents));
  for (let i = 0; i < recent.length; i++) {
    const a = index.get(recent[i] ?? '');
    if (a === undefined) continue;
    for (let j = i + 1; j < recent.length && j - i <= m.window; j++) {
      const b = index.get(recent[j] ?? '');
      if (b === undefined || b === a) continue;
      const c = column.get(Math.min(a, b) * n + Math.max(a, b));
      if (c !== undefined) weights[c] = Math.min(1, (weights[c] ?? 0) + m.decay ** (j - i - 1));
    }
  }
  let norm = 0;
  for (const w of weights) norm += w * w;
  norm = Math.sqrt(norm);
  const factor = norm > m.clip ? m.clip / norm : 1;
  const out = Array.from(weights, (w) => (w > 0 ? stochasticRound(w * factor * m.scale, rng) : 0));
  const bound = m.clip * m.scale;
  let squares = out.reduce((t, v) => t + v * v, 0);
  while (squares > bound * bound + 1e-9) {
    const positive = out.flatMap((v, i) => (v > 0 ? [i] : []));
    const pick = positive[Math.min(positive.length - 1, Math.floor(rng() * positive.length))] ?? 0;
    const v = out[pick] ?? 0;
    out[pick] = v - 1;
    squares -= 2 * v - 1;
  }
  return out;
}

/** Outcome of one federated evaluation on a visitor's held-out item. */
export type EvaluationOutcome = 'candidate' | 'served' | 'tie';

/** The one-hot `[candidate better, served better, tie]` of an evaluation outcome. */
export function encodeEvaluation(outcome: EvaluationOutcome): number[] {
  return [outcome === 'candidate' ? 1 : 0, outcome === 'served' ? 1 : 0, outcome === 'tie' ? 1 : 0];
}

/** Noisy counts of each outcome from a released evaluation sum. */
export function decodeEvaluationSum(sum: readonly number[]): {
  readonly candidate: number;
  readonly served: number;
  readonly tie: number;
} {
  if (sum.length !== 3)
    throw new DapMeasurementError(`an evaluation sum has 3 entries, got ${sum.length}`);
  return { candidate: sum[0] ?? 0, served: sum[1] ?? 0, tie: sum[2] ?? 0 };
}
