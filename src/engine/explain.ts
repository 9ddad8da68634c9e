/**
 * Explanations: each result's reason comes from its largest contributing ranker feature
 * (weight × how far the feature sits above the candidates' mean). A deny-list of categories and
 * terms is never used: a reason that would mention one falls back to the next signal, and
 * finally to "Picked for you".
 */

import { dot, dotRow } from '../shared/vector-math.ts';
import { type EngineContext, itemVector } from './context.ts';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './features.ts';
import type { PromptSignal } from './prompt.ts';
import type { Reason } from './types.ts';
import type { UserState } from './user-state.ts';

/** Lower-cased categories and terms that must never appear in an explanation. */
export interface DenyList {
  readonly terms: readonly string[];
}

/** Renders a reason as one sentence: the one explanation table of Hearth. */
export function explanationText(reason: Reason): string {
  switch (reason.kind) {
    case 'similar':
      return `Because you viewed ${reason.title}`;
    case 'collab':
      return `People who liked ${reason.title} also liked this`;
    case 'prompt':
      return `Matches "${reason.terms.join(' ')}"`;
    case 'category':
      return `Because you like ${reason.category}`;
    case 'popular':
      return 'Popular right now';
    case 'new':
      return 'New in the catalog';
    case 'explore':
      return 'Something different to try';
    case 'picked':
      return 'Picked for you';
    default: {
      const never: never = reason;
      throw new Error(`unknown reason ${JSON.stringify(never)}`);
    }
  }
}

/** True when the text mentions any denied term (case-insensitive, substring). */
export function mentionsDenied(text: string, deny: DenyList): boolean {
  const lower = text.toLowerCase();
  return deny.terms.some((t) => t !== '' && lower.includes(t.toLowerCase()));
}

/** Inputs shared by every explanation of one request. */
export interface ExplainInput {
  readonly context: EngineContext;
  readonly state: UserState;
  readonly prompt: PromptSignal | null;
  readonly weights: Float32Array;
  /** Mean of each feature over the candidates. */
  readonly means: Float32Array;
  readonly deny: DenyList;
}

/** Column means of a candidate feature matrix. */
export function featureMeans(features: Float32Array, count: number): Float32Array {
  const means = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) means[k]! += features[i * FEATURE_COUNT + k]! / count;
  }
  return means;
}

/** Picks the reason for one candidate from its feature row. */
export function explain(
  input: ExplainInput,
  row: number,
  features: Float32Array,
): { reason: Reason; text: string } {
  const { deny } = input;
  const order = FEATURE_NAMES.map((name, k) => ({
    name,
    value: input.weights[k]! * (features[k]! - input.means[k]!),
  })).sort((a, b) => b.value - a.value);
  for (const { name, value } of order) {
    if (value <= 0) break;
    const reason = reasonFor(input, row, name);
    if (!reason) continue;
    const text = explanationText(reason);
    if (!mentionsDenied(text, deny)) return { reason, text };
  }
  return fallbackReason(deny);
}

/** The reason of the exploration slot, checked against the deny-list (else the fallback). */
export function exploreReason(deny: DenyList): { reason: Reason; text: string } {
  const reason: Reason = { kind: 'explore' };
  const text = explanationText(reason);
  return mentionsDenied(text, deny) ? fallbackReason(deny) : { reason, text };
}

/**
 * The reason when no signal explains an item, checked against the deny-list like every other:
 * "Picked for you", or an empty text when even that mentions a denied term.
 */
export function fallbackReason(deny: DenyList): { reason: Reason; text: string } {
  const reason: Reason = { kind: 'picked' };
  const text = explanationText(reason);
  return { reason, text: mentionsDenied(text, deny) ? '' : text };
}

function reasonFor(input: ExplainInput, row: number, feature: FeatureName): Reason | null {
  const { context, state, prompt, deny } = input;
  const allowed = (r: number) => {
    const item = context.items[r]!;
    return !mentionsDenied([item.title, ...item.categories].join(' '), deny);
  };
  switch (feature) {
    case 'sim_long':
    case 'sim_short':
    case 'sim_recent': {
      const v = itemVector(context, row);
      const best = argmax(state.recentRows.filter(allowed), (r) => dot(v, itemVector(context, r)));
      return best === undefined ? null : { kind: 'similar', ...itemRef(context, best) };
    }
    case 'collab': {
      const model = context.collab;
      const target = context.collabRow[row]!;
      if (!model || target < 0) return null;
      const q = model.target.subarray(target * model.dims, (target + 1) * model.dims);
      const best = argmax(
        state.recentRows.filter((r) => allowed(r) && context.collabRow[r]! >= 0),
        (r) => dotRow(model.history, model.dims, context.collabRow[r]!, q),
      );
      return best === undefined ? null : { kind: 'collab', ...itemRef(context, best) };
    }
    case 'item_item': {
      const model = context.sequence;
      const target = context.sequenceRow[row]!;
      if (!model || target < 0) return null;
      const weightTo = (r: number) => {
        const from = context.sequenceRow[r]!;
        if (from < 0) return 0;
        for (let e = model.offsets[from]!; e < model.offsets[from + 1]!; e++)
          if (model.neighbours[e] === target) return model.weights[e]!;
        return 0;
      };
      const best = argmax(state.recentRows.filter(allowed), weightTo);
      return best === undefined || weightTo(best) <= 0
        ? null
        : { kind: 'collab', ...itemRef(context, best) };
    }
    case 'sim_prompt': {
      const terms = (prompt?.terms ?? []).filter((t) => !mentionsDenied(t, deny));
      return terms.length === 0 ? null : { kind: 'prompt', terms };
    }
    case 'category': {
      const categories = context.items[row]!.categories.filter((c) => !mentionsDenied(c, deny));
      const best = argmax(categories, (c) => state.categoryAffinity.get(c) ?? 0);
      return best === undefined ? null : { kind: 'category', category: best };
    }
    case 'popularity':
      return { kind: 'popular' };
    case 'freshness':
      return { kind: 'new' };
    case 'seen':
    case 'sim_negative':
      return null;
    default: {
      const never: never = feature;
      throw new Error(`unknown feature ${String(never)}`);
    }
  }
}

function itemRef(context: EngineContext, row: number): { itemId: string; title: string } {
  const item = context.items[row]!;
  return { itemId: item.id, title: item.title };
}

function argmax<T>(values: readonly T[], score: (v: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const v of values) {
    const s = score(v);
    if (s > bestScore) {
      bestScore = s;
      best = v;
    }
  }
  return best;
}
