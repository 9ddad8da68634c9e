/**
 * The collector's half of the federated evaluation: a released `model-evaluation` sum becomes the
 * noisy counts of `[candidate better, served better, tie]` and the promotion decision on them
 * (src/models/promotion.ts), stored with the task's result; the promotion route reads the newest
 * decision for a candidate (src/server/promotion-gate.ts).
 */
import { type PromotionDecision, promotionDecision } from '../../models/promotion.ts';
import type { DapTask } from '../../protocol/dap.ts';
import { decodeEvaluationSum } from '../../wire/dap-measurement.ts';
import type { StoredEvaluation } from '../promotion-gate.ts';
import type { DapStorage } from './storage.ts';

type Evaluation = Extract<DapTask['measurement'], { kind: 'model-evaluation' }>;

/** What a released evaluation publishes (kept in the task's result, shown by `hearth collect`). */
export interface EvaluationPublished {
  readonly kind: 'evaluation';
  readonly model: string;
  readonly candidate: number;
  readonly served: number | null;
  readonly k: number;
  /** Noisy count of visitors for whom each model ranked their held-out item higher, and ties. */
  readonly counts: { readonly candidate: number; readonly served: number; readonly tie: number };
  /** Standard deviation of each count: both aggregators' noise, σ√2. */
  readonly noise: number;
  readonly decision: PromotionDecision;
}

/** The counts and the decision of a released evaluation sum. */
export function evaluationPublished(
  doc: DapTask,
  m: Evaluation,
  sum: readonly number[],
): EvaluationPublished {
  const counts = decodeEvaluationSum(sum);
  // Each aggregator adds its own N_Z(0, σ²) to every entry: the released count carries 2σ².
  const noise = doc.noise.sigma * Math.SQRT2;
  return {
    kind: 'evaluation',
    model: m.model,
    candidate: m.candidate,
    served: m.served,
    k: m.k,
    counts,
    noise,
    decision: promotionDecision({ ...counts, noise }),
  };
}

/** The newest released evaluation of version `candidate` of `model` in `dap`, or null. */
export function latestEvaluation(
  dap: DapStorage,
  model: string,
  candidate: number,
): StoredEvaluation | null {
  for (const result of dap.resultsOfKind('model-evaluation')) {
    const body = JSON.parse(result.body) as {
      summary?: { published?: Partial<EvaluationPublished> };
    };
    const p = body.summary?.published;
    if (p?.kind !== 'evaluation' || p.model !== model || p.candidate !== candidate) continue;
    if (p.decision === undefined || p.served === undefined) continue;
    return {
      taskId: result.taskId,
      model,
      candidate,
      served: p.served,
      reports: result.reportCount,
      decision: p.decision,
    };
  }
  return null;
}
