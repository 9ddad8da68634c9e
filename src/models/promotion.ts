/**
 * The federated evaluation gate (docs/private-learning.md): before a candidate shared model is
 * served, consenting visitors compare it with the served one on their own held-out last event and
 * report one of `[candidate better, served better, tie]` through a DAP `model-evaluation` task.
 * This file holds both pure halves: the device's comparison and the collector's decision on the
 * released noisy counts. Only the decision leaves the collector; promotion stays an operator step
 * (`POST /v1/admin/promote`), which can also override the decision.
 */
import type { EvaluationOutcome } from '../wire/dap-measurement.ts';

/** NDCG@k gain of a held-out item at 0-based `rank` (0 when outside the top k or absent). */
export function heldOutGain(rank: number | null, k: number): number {
  if (rank === null || rank < 0 || rank >= k) return 0;
  return 1 / Math.log2(rank + 2);
}

/**
 * One visitor's outcome: which model puts their held-out item higher within the top `k`
 * (`null` rank: not in the list). Equal gains, including both misses, are a tie.
 */
export function compareOnHeldOut(
  servedRank: number | null,
  candidateRank: number | null,
  k: number,
): EvaluationOutcome {
  const served = heldOutGain(servedRank, k);
  const candidate = heldOutGain(candidateRank, k);
  if (candidate > served) return 'candidate';
  if (served > candidate) return 'served';
  return 'tie';
}

/** Released noisy counts of a model-evaluation task and the noise on each. */
export interface EvaluationRelease {
  readonly candidate: number;
  readonly served: number;
  readonly tie: number;
  /** Standard deviation of each released count (both aggregators' noise: σ√2). */
  readonly noise: number;
}

/** The collector's reading of an evaluation release. */
export interface PromotionDecision {
  /** True when the candidate's lead over the served model is above noise at confidence `z`. */
  readonly promote: boolean;
  /** Noisy (candidate − served) wins, and the one-sided lower bound at `z`. */
  readonly lead: number;
  readonly lowerBound: number;
  /** Why, in one line for the operator. */
  readonly reason: string;
}

/** One-sided z for the default 97.5% confidence. */
export const PROMOTION_Z = 1.959964;

/**
 * Promote only when the candidate's noisy lead (wins − losses) is positive beyond the noise of the
 * difference (√2 × the per-count noise) at one-sided confidence `z`. Visitors who saw no
 * difference (ties) carry no evidence either way and do not enter the rule.
 */
export function promotionDecision(
  release: EvaluationRelease,
  z: number = PROMOTION_Z,
): PromotionDecision {
  const lead = release.candidate - release.served;
  const spread = Math.SQRT2 * release.noise;
  const lowerBound = lead - z * spread;
  const promote = lowerBound > 0;
  const counts = `candidate better ${release.candidate.toFixed(1)}, served better ${release.served.toFixed(1)}, ties ${release.tie.toFixed(1)} (noise σ ${release.noise.toFixed(1)} each)`;
  return {
    promote,
    lead,
    lowerBound,
    reason: promote
      ? `promote: the candidate leads by ${lead.toFixed(1)} visitors, at least ${lowerBound.toFixed(1)} at ${z.toFixed(2)}σ; ${counts}`
      : `keep the served model: the candidate's lead ${lead.toFixed(1)} is not above the noise (lower bound ${lowerBound.toFixed(1)} at ${z.toFixed(2)}σ); ${counts}`,
  };
}
