/**
 * The statistics the private models are built from, as DAP measurements, and the budget split
 * between them (docs/private-learning.md):
 *
 * - the **item histogram**: each visitor's last `maxItems` distinct items, multi-hot over the
 *   catalog (L2 sensitivity √maxItems);
 * - the **head pair counts**: co-occurrence of pairs among the `head` most popular items of the
 *   released histogram within `window` events of each other among the visitor's last `maxEvents`,
 *   on `cells` pairs chosen from public data only (the released popularity and a public
 *   attribute), clipped to L2 `clip` and quantised with `scale` steps (integer sensitivity
 *   clip·scale).
 *
 * The pair counts are worth their share of the budget only when enough visitors report:
 * `reports · √(ρ / aggregators) ≥ pairsMinSignal` (each of the two aggregators adds noise of the
 * task's σ, so the released sum carries variance 2σ²). Below that, the histogram gets all of ρ.
 */

import {
  dapSigma,
  measurementBits,
  measurementLength,
  reportSensitivity,
} from '../privacy/dap-accounting.ts';
import { rhoForBudget } from '../privacy/rdp.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';

type Histogram = Extract<DapMeasurement, { kind: 'item-histogram' }>;
type PairCounts = Extract<DapMeasurement, { kind: 'pair-counts' }>;

/** Aggregators that each add the task's noise to the released sum (DAP: leader and helper). */
export const NOISE_SHARES = 2;

/** The tuned parameters of the private statistics (chosen on validation folds; docs/private-learning.md). */
export interface PrivateStatisticsParams {
  /** Histogram: the last distinct items each visitor counts. */
  readonly maxItems: number;
  /** Pair counts: head size and number of cells. */
  readonly head: number;
  readonly cells: number;
  readonly maxEvents: number;
  readonly window: number;
  readonly decay: number;
  readonly clip: number;
  readonly scale: number;
  /** Width of the public attribute's proximity in the cell prior (same unit as the attribute). */
  readonly priorTau: number;
  /** Share of ρ the histogram gets when the pair counts are sent too. */
  readonly histogramShare: number;
  /** The pair counts are sent when reports · √(ρ / NOISE_SHARES) reaches this. */
  readonly pairsMinSignal: number;
}

/** Defaults (docs/private-learning.md gives the measurements behind each). */
export const DEFAULT_PRIVATE_STATISTICS: PrivateStatisticsParams = {
  maxItems: 50,
  head: 500,
  cells: 20_000,
  maxEvents: 20,
  window: 10,
  decay: 0.9,
  clip: 3,
  scale: 8,
  priorTau: 4,
  histogramShare: 0.3,
  pairsMinSignal: 2_000,
};

/** How one window's budget is spent. */
export interface BudgetPlan {
  /** The visitor-level total, as zCDP ρ. */
  readonly rho: number;
  readonly usePairs: boolean;
  readonly histogramRho: number;
  /** 0 when the pair counts are not sent. */
  readonly pairsRho: number;
}

/** True when the pair counts are worth a share of ρ for this many reports (see the file comment). */
export function pairsWorthBudget(
  reports: number,
  rho: number,
  params: PrivateStatisticsParams = DEFAULT_PRIVATE_STATISTICS,
): boolean {
  return reports * Math.sqrt(rho / NOISE_SHARES) >= params.pairsMinSignal;
}

/** Splits a visitor's (ε, δ) for one window between the histogram and the pair counts. */
export function planBudget(
  epsilon: number,
  delta: number,
  expectedReports: number,
  params: PrivateStatisticsParams = DEFAULT_PRIVATE_STATISTICS,
): BudgetPlan {
  const rho = rhoForBudget(epsilon, delta);
  const usePairs = pairsWorthBudget(expectedReports, rho, params);
  const histogramRho = usePairs ? rho * params.histogramShare : rho;
  return { rho, usePairs, histogramRho, pairsRho: usePairs ? rho - histogramRho : 0 };
}

/** The histogram measurement over a catalog's item ids. */
export function histogramMeasurement(
  itemIds: readonly string[],
  params: PrivateStatisticsParams = DEFAULT_PRIVATE_STATISTICS,
): Histogram {
  return { kind: 'item-histogram', items: [...itemIds], maxItems: params.maxItems };
}

/**
 * The pair-count measurement, from public data only: the head is the `head` items of highest
 * released popularity (`estimate`, aligned with `itemIds`; ties by row), and the cells are the
 * `cells` head pairs of largest prior `√(max(p_a, 1) · max(p_b, 1)) · exp(−(x_a − x_b)² / 2τ²)`
 * (`attribute`: a public numeric attribute per item, or null for popularity alone), listed
 * `[a, b]` with a < b in head order.
 */
export function pairCountsMeasurement(
  itemIds: readonly string[],
  estimate: ArrayLike<number>,
  attribute: ArrayLike<number> | null,
  params: PrivateStatisticsParams = DEFAULT_PRIVATE_STATISTICS,
): PairCounts {
  const order = Array.from(itemIds.keys()).sort((a, b) => estimate[b]! - estimate[a]! || a - b);
  const head = order.slice(0, Math.min(params.head, itemIds.length));
  const k = head.length;
  const pop = head.map((row) => Math.max(1, estimate[row]!));
  const twoTauSq = 2 * params.priorTau * params.priorTau;
  const candidates: { a: number; b: number; prior: number }[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let prior = Math.sqrt(pop[a]! * pop[b]!);
      if (attribute !== null) {
        const d = attribute[head[a]!]! - attribute[head[b]!]!;
        prior *= Math.exp(-(d * d) / twoTauSq);
      }
      candidates.push({ a, b, prior });
    }
  }
  // Stable: equal priors keep head order, so the same release always gives the same cells.
  candidates.sort((x, y) => y.prior - x.prior || x.a - y.a || x.b - y.b);
  const cells = candidates
    .slice(0, Math.max(1, params.cells))
    .sort((x, y) => x.a - y.a || x.b - y.b)
    .map(({ a, b }) => [a, b] as [number, number]);
  return {
    kind: 'pair-counts',
    items: head.map((row) => itemIds[row]!),
    cells,
    maxEvents: params.maxEvents,
    window: params.window,
    decay: params.decay,
    clip: params.clip,
    scale: params.scale,
  };
}

/** Prio3 SumVec chunk length: √(entries · bits) is the proof-size optimum, 300 the tested ceiling. */
function chunkLength(length: number, bits: number): number {
  return Math.max(1, Math.min(300, Math.round(Math.sqrt(length * bits))));
}

/** The SumVec parameters and the noise of a task measuring `m` at a cost of `rho` per visitor. */
export function taskParts(m: DapMeasurement, rho: number): Pick<DapTask, 'vdaf' | 'noise'> {
  const length = measurementLength(m);
  const bits = measurementBits(m);
  const sensitivity = reportSensitivity(m);
  return {
    vdaf: { type: 'sumVec', length, bits, chunkLength: chunkLength(length, bits) },
    noise: {
      mechanism: 'discrete-gaussian',
      sigma: dapSigma(sensitivity, rho),
      sensitivity,
      rho,
    },
  };
}
