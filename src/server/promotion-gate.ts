/**
 * The federated evaluation gate on promotion (docs/dap.md, "Federated evaluation"): a candidate
 * version of a model learned from DP releases (`cooccurrence`) is copied to what devices serve only
 * when the latest federated evaluation of that very version, against the version served now, shows
 * an improvement above the noise (`promotionDecision`, src/models/promotion.ts). The operator can
 * still override, with a reason that is stored with the promotion.
 */
import type { PromotionDecision } from '../models/promotion.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';

/** Models promoted only on the evidence of a federated evaluation. */
export const EVALUATED_MODELS: ReadonlySet<string> = new Set([COOCCURRENCE_MODEL]);

/** A released model-evaluation task, as the collector stored it. */
export interface StoredEvaluation {
  readonly taskId: string;
  readonly model: string;
  readonly candidate: number;
  /** Version of `<model>.served` it compared with, or null when none was served. */
  readonly served: number | null;
  /** Verified reports in the batch. */
  readonly reports: number;
  readonly decision: PromotionDecision;
}

/** The newest released evaluation of version `candidate` of `model`, or null. */
export type EvaluationLookup = (model: string, candidate: number) => StoredEvaluation | null;

/** What the gate says about one promotion. */
export type PromotionCheck =
  | { readonly ok: true; readonly evidence: string }
  | { readonly ok: false; readonly message: string };

const servedText = (name: string, v: number | null) =>
  v === null ? `no ${name}.served` : `${name}.served v${v}`;

/** How to get past a refusal, for every message. */
function remedy(name: string, version: number, served: number | null): string {
  const servedField = served === null ? 'null' : String(served);
  return `Publish a model-evaluation task { model: '${name}', candidate: ${version}, served: ${servedField} }, collect it after its window and promote again, or promote with {"override": true, "reason": "..."}.`;
}

/**
 * Whether version `version` of `name` may be promoted while `served` (the `<name>.served`
 * version, null for none) is what devices use, given the newest evaluation of that version.
 */
export function checkPromotion(input: {
  readonly name: string;
  readonly version: number;
  readonly served: number | null;
  readonly evaluation: StoredEvaluation | null;
}): PromotionCheck {
  const { name, version, served, evaluation } = input;
  const fix = remedy(name, version, served);
  if (evaluation === null)
    return {
      ok: false,
      message: `model '${name}' version ${version} has no federated evaluation yet, and a new '${name}' is served only when one shows it beats what is served (${servedText(name, served)}). ${fix}`,
    };
  if (evaluation.served !== served)
    return {
      ok: false,
      message: `the latest federated evaluation of '${name}' version ${version} (task ${evaluation.taskId}) compared it with ${servedText(name, evaluation.served)}, but ${servedText(name, served)} is what devices use now; its result says nothing about this promotion. ${fix}`,
    };
  const line = `federated evaluation task ${evaluation.taskId} (${evaluation.reports} reports): ${evaluation.decision.reason}`;
  if (!evaluation.decision.promote)
    return {
      ok: false,
      message: `refused: '${name}' version ${version} did not show an improvement over ${servedText(name, served)}: lead ${evaluation.decision.lead.toFixed(1)}, lower bound ${evaluation.decision.lowerBound.toFixed(1)} (must be > 0); ${line}. ${fix}`,
    };
  return { ok: true, evidence: line };
}
