/**
 * How one visitor's total budget is split across the tasks of `hearth simulate --mode dap`. The
 * ledger's cap is the visitor's (ε, δ); as zCDP it is ρ = rhoForBudget(ε, δ), and zCDP composes by
 * addition (Bun & Steinke 2016), so the tasks' ρ add up to exactly that ρ:
 *
 * - the **federated evaluation** (one report: candidate better, served better or tie; L2
 *   sensitivity 1) gets the ρ that detects a net win rate of `evaluationDetectable` of the
 *   visitors (candidate wins − served wins) at the gate's one-sided 97.5% with 80% power, at most
 *   `evaluationShare` of ρ. The lead carries both aggregators' noise on two counts, standard
 *   deviation 2σ = √(2/ρ_e), so ρ_e = 2 ((z + z_power) / (detectable · N))²;
 * - the **ranker rounds** get the ρ per round that keeps the noise on every released mean weight
 *   at `rankerWeightNoise` (2σ / (N · scale) with Δ the report's sensitivity, so
 *   ρ_r = 2 (Δ / (noise · N · scale))²) and the noise on the released contributor count, which
 *   the FedAvg step divides by (decodeRankerSum), at `rankerCountNoise` of N (√2σ / N, so
 *   ρ_r = (Δ / (noise · N))²: the binding one). When the rounds need more than `rankerShare` of
 *   ρ they are not run (the served engine keeps the shipped ranker and the statistics get the
 *   share): at 610 visitors the count would carry noise of ±25% of the visitors at ε = 8 (±46% at
 *   ε = 4), so every step would be scaled at random. With `forceRankerRounds` they run at the cap
 *   anyway (the measured figure);
 * - the **statistics** get the rest, split by the task design's `planBudget`
 *   (src/models/private-tasks.ts): histogram 0.3 and pair counts 0.7 when
 *   reports · √(ρ_stats / 2) ≥ 2,000, else all of it to the histogram.
 *
 * So at 610 visitors the evaluation takes its cap (10%) and the ranker rounds are not run, and at
 * 10,000 both together take at most 5%, which leaves the pair counts enough to be worth sending. Without
 * the engine (no encoder: the popularity figure alone) the histogram gets all of ρ. A visitor who
 * reports to every task ends with its ledger at the cap.
 */
import { learnableFeatures } from '../federated/ranker-update.ts';
import { planBudget } from '../models/private-tasks.ts';
import { PROMOTION_Z } from '../models/promotion.ts';
import { dapSigma, reportSensitivity } from '../privacy/dap-accounting.ts';
import { rhoForBudget, rhoToEpsilon } from '../privacy/rdp.ts';
import { DAP_RANKER } from './dap-ranker-rounds.ts';

/** The tuned split (chosen on ml-latest-small's validation events; docs/measurements.md). */
export interface BudgetShares {
  /** Most of ρ the federated evaluation may take. */
  readonly evaluationShare: number;
  /** Net win rate (share of visitors) the evaluation is sized to detect. */
  readonly evaluationDetectable: number;
  /** Most of ρ all ranker rounds together may take. */
  readonly rankerShare: number;
  /** Noise (standard deviation) on each released mean ranker weight per round that suffices. */
  readonly rankerWeightNoise: number;
  /** Noise on the released contributor count, as a share of the visitors, that suffices. */
  readonly rankerCountNoise: number;
  readonly rankerRounds: number;
  /** Run the rounds at the cap even when they need more (the operator asked for them). */
  readonly forceRankerRounds: boolean;
}

/** Defaults: evaluation and ranker each at most 10% of ρ, sized as the file comment says. */
export const DEFAULT_BUDGET_SHARES: BudgetShares = {
  evaluationShare: 0.1,
  evaluationDetectable: 0.01,
  rankerShare: 0.1,
  rankerWeightNoise: 0.01,
  rankerCountNoise: 0.1,
  rankerRounds: 2,
  forceRankerRounds: false,
};

/** z of 80% power, added to the gate's z when sizing the evaluation. */
const Z_POWER = 0.841621;

/**
 * ρ of every task when ε = ∞: σ = Δ/1000 (ρ = Δ²/2σ² = 5·10⁵), noise that rounds to 0, so the
 * figures show what the protocol itself costs.
 */
export const NEGLIGIBLE_NOISE_RHO = 5e5;

/** ρ per task (each a visitor's cost for one report to it). */
export interface EngineBudgetPlan {
  readonly epsilon: number;
  readonly delta: number;
  /** The visitor's whole budget as zCDP. */
  readonly rho: number;
  readonly histogramRho: number;
  /** 0 when the pair counts are not worth their share (see the file comment). */
  readonly pairsRho: number;
  readonly usePairs: boolean;
  /** 0 without the engine. */
  readonly evaluationRho: number;
  /** Per round; 0 without the engine or rounds. */
  readonly rankerRhoPerRound: number;
  readonly rankerRounds: number;
  /** Why no ranker rounds run, or null when they do. */
  readonly rankerSkipped: string | null;
  /** Standard deviation of the released contributor count as a share of the visitors (0: none). */
  readonly rankerCountNoise: number;
}

/** Budget shares that cannot be used (negative, or leaving nothing for the statistics). */
export class BudgetSplitError extends Error {
  override readonly name = 'BudgetSplitError';
}

/** ρ the evaluation needs for `reports` visitors (see the file comment). */
export function evaluationRhoNeeded(reports: number, detectable: number): number {
  return 2 * ((PROMOTION_Z + Z_POWER) / (detectable * reports)) ** 2;
}

/** L2 sensitivity of one ranker-update report of the simulation. */
function rankerSensitivity(): number {
  return reportSensitivity({
    kind: 'ranker-update',
    modelVersion: 0,
    features: learnableFeatures(),
    ...DAP_RANKER,
  });
}

/** ρ per round the ranker needs for `reports` visitors (see the file comment). */
export function rankerRhoNeeded(reports: number, weightNoise: number, countNoise: number): number {
  const sensitivity = rankerSensitivity();
  return Math.max(
    2 * (sensitivity / (weightNoise * reports * DAP_RANKER.scale)) ** 2,
    (sensitivity / (countNoise * reports)) ** 2,
  );
}

/**
 * Splits ε (at δ) for `reports` visitors. `engine`: false for the popularity figure alone (the
 * histogram gets everything). With ε = ∞ every task gets `NEGLIGIBLE_NOISE_RHO`.
 */
export function planEngineBudget(
  epsilon: number,
  delta: number,
  reports: number,
  shares: BudgetShares,
  engine: boolean,
): EngineBudgetPlan {
  const rankerRounds = engine ? shares.rankerRounds : 0;
  if (
    !(
      shares.evaluationShare >= 0 &&
      shares.rankerShare >= 0 &&
      shares.evaluationShare + shares.rankerShare < 1
    )
  )
    throw new BudgetSplitError(
      `the evaluation share ${shares.evaluationShare} and the ranker share ${shares.rankerShare} must be ≥ 0 and leave a share for the statistics (they add up to ${shares.evaluationShare + shares.rankerShare}); lower --dap-evaluation-share or --dap-ranker-share.`,
    );
  if (!Number.isFinite(epsilon)) {
    const some = (on: boolean) => (on ? NEGLIGIBLE_NOISE_RHO : 0);
    return {
      epsilon,
      delta,
      rho: Number.POSITIVE_INFINITY,
      histogramRho: NEGLIGIBLE_NOISE_RHO,
      pairsRho: some(engine),
      usePairs: engine,
      evaluationRho: some(engine),
      rankerRhoPerRound: some(rankerRounds > 0),
      rankerRounds,
      rankerSkipped: null,
      rankerCountNoise: 0,
    };
  }
  const rho = rhoForBudget(epsilon, delta);
  const evaluationRho = engine
    ? Math.min(
        shares.evaluationShare * rho,
        evaluationRhoNeeded(reports, shares.evaluationDetectable),
      )
    : 0;
  const needed =
    rankerRounds > 0
      ? rankerRhoNeeded(reports, shares.rankerWeightNoise, shares.rankerCountNoise)
      : 0;
  const capPerRound = rankerRounds > 0 ? (shares.rankerShare * rho) / rankerRounds : 0;
  const rankerSkipped =
    rankerRounds > 0 && needed > capPerRound && !shares.forceRankerRounds
      ? `the ranker rounds need ρ ${needed.toPrecision(3)} per round to keep the released contributor count within ±${pct(shares.rankerCountNoise)} (and each weight within ±${shares.rankerWeightNoise}); ${pct(shares.rankerShare)} of ρ allows ${capPerRound.toPrecision(3)}: not run, the shipped ranker serves (force them with --dap-ranker-rounds)`
      : null;
  const rounds = rankerSkipped === null ? rankerRounds : 0;
  const rankerRhoPerRound = rounds > 0 ? Math.min(capPerRound, needed) : 0;
  // The statistics get what is left, so the parts add up to ρ to the last bit.
  const statsRho = rho - evaluationRho - rankerRhoPerRound * rounds;
  // planBudget takes an ε: its split is a share of whatever ρ that ε gives, so only the share and
  // the pairs decision are taken from it.
  const stats = engine ? planBudget(rhoToEpsilon(statsRho, delta), delta, reports) : null;
  const usePairs = stats?.usePairs ?? false;
  const histogramRho =
    usePairs && stats !== null ? statsRho * (stats.histogramRho / stats.rho) : statsRho;
  return {
    epsilon,
    delta,
    rho,
    histogramRho,
    pairsRho: usePairs ? statsRho - histogramRho : 0,
    usePairs,
    evaluationRho,
    rankerRhoPerRound,
    rankerRounds: rounds,
    rankerSkipped,
    rankerCountNoise:
      rounds > 0 ? (Math.SQRT2 * dapSigma(rankerSensitivity(), rankerRhoPerRound)) / reports : 0,
  };
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
