/**
 * Explanations: each result's reason comes from its largest contributing ranker feature
 * (weight × how far the feature sits above the candidates' mean), but only when that signal
 * clearly supports the item: the item it names must be similar enough, the visitor's category
 * affinity strong enough, the item popular or new enough (thresholds below, measured by
 * `scripts/measure-explain-threshold.ts`, see docs/engine.md). Otherwise the next signal is
 * tried, and finally a neutral reason. The sentence comes from ONE table of templates (the
 * site's wording over English defaults, `src/protocol/strings.ts`), and a deny-list of
 * categories and terms is applied to every filled-in sentence: a reason that would mention one
 * falls back like a weak one.
 */

import { DEFAULT_EXPLANATION_STRINGS, type ExplanationStrings } from '../protocol/strings.ts';
import { fillTemplate } from '../shared/template.ts';
import { dot, dotRow } from '../shared/vector-math.ts';
import { type EngineContext, itemVector } from './context.ts';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName, featureIndex } from './features.ts';
import type { PromptSignal } from './prompt.ts';
import type { EventKind, Reason } from './types.ts';
import type { UserState } from './user-state.ts';

/** Lower-cased categories and terms that must never appear in an explanation. */
export interface DenyList {
  readonly terms: readonly string[];
}

/**
 * Cosine between a recommended item and the item a "Because you viewed X" reason names. 0.54 is
 * the smallest threshold at which most pairs of the demo's 300 books at or above it share a
 * category, a tag or an author (precision 0.52 against a base rate of 0.12; 0.83 on a 20-item
 * gear catalog); below it a named item is more often unrelated than not.
 */
export const SIMILAR_REASON_MIN = 0.54;

/**
 * Cosine between the collab model's history row of X and target row of the item for "People
 * who liked X also liked this": 0.02 is where most MovieLens pairs at or above it are co-rated at
 * least three times as often as chance (precision 0.50 against a base rate of 0.40).
 */
export const COLLAB_REASON_MIN = 0.02;

/**
 * Cosine between the prompt and the item for `Matches "…"`: 0.56 is where most (tag, book) pairs
 * of the demo catalog at or above it carry the tag (precision 0.51 against 0.02).
 */
export const PROMPT_REASON_MIN = 0.56;

/** Share of the visitor's signal a category needs for "Because you like C" (a third). */
export const CATEGORY_REASON_MIN = 1 / 3;

/** Popularity prior (log-scaled counts, 1 = the most popular item) for "Popular right now". */
export const POPULAR_REASON_MIN = 0.5;

/** Freshness for "New in the catalog": the item appeared within one half-life. */
export const FRESH_REASON_MIN = 0.5;

/** Renders a reason as one sentence with the site's templates over the English defaults. */
export function explanationText(reason: Reason, strings: Partial<ExplanationStrings> = {}): string {
  const t: ExplanationStrings = { ...DEFAULT_EXPLANATION_STRINGS, ...strings };
  switch (reason.kind) {
    case 'similar':
      return fillTemplate(similarTemplate(t, reason.action), { title: reason.title });
    case 'collab':
      return fillTemplate(t.othersAlsoLiked, { title: reason.title });
    case 'prompt':
      return fillTemplate(t.matchesPrompt, { terms: reason.terms.join(' ') });
    case 'category':
      return fillTemplate(t.becauseCategory, { category: reason.category });
    case 'popular':
      return t.popular;
    case 'new':
      return t.fresh;
    case 'explore':
      return t.explore;
    case 'starter':
      return reason.category === undefined
        ? t.starterAny
        : fillTemplate(t.starter, { category: reason.category });
    case 'picked':
      return t.picked;
    default: {
      const never: never = reason;
      throw new Error(`unknown reason ${JSON.stringify(never)}`);
    }
  }
}

function similarTemplate(
  t: ExplanationStrings,
  action: Extract<Reason, { kind: 'similar' }>['action'],
): string {
  switch (action) {
    case 'view':
      return t.becauseViewed;
    case 'like':
      return t.becauseLiked;
    case 'add':
      return t.becauseAdded;
    case 'purchase':
      return t.becauseBought;
    default: {
      const never: never = action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

/** What a reason says the visitor did: a click opened the item, so it reads as "viewed". */
function actionOf(kind: EventKind | undefined): Extract<Reason, { kind: 'similar' }>['action'] {
  switch (kind) {
    case 'like':
    case 'add':
    case 'purchase':
      return kind;
    default:
      return 'view';
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
  /** The site's templates (any left out keep their English default). */
  readonly strings?: Partial<ExplanationStrings>;
}

/** An explained result: the reason and its sentence. */
export interface Explained {
  readonly reason: Reason;
  readonly text: string;
}

/** Column means of a candidate feature matrix. */
export function featureMeans(features: Float32Array, count: number): Float32Array {
  const means = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) means[k]! += features[i * FEATURE_COUNT + k]! / count;
  }
  return means;
}

/** Picks the reason for one candidate from its feature row (a neutral one when none holds). */
export function explain(input: ExplainInput, row: number, features: Float32Array): Explained {
  const { deny, strings } = input;
  const order = FEATURE_NAMES.map((name, k) => ({
    name,
    value: input.weights[k]! * (features[k]! - input.means[k]!),
  })).sort((a, b) => b.value - a.value);
  for (const { name, value } of order) {
    if (value <= 0) break;
    const reason = reasonFor(input, row, name, features);
    if (!reason) continue;
    const text = explanationText(reason, strings);
    if (!mentionsDenied(text, deny)) return { reason, text };
  }
  return neutralReason(input, row);
}

/** The reason of the exploration slot, checked against the deny-list (else the fallback). */
export function exploreReason(
  deny: DenyList,
  strings: Partial<ExplanationStrings> = {},
): Explained {
  const reason: Reason = { kind: 'explore' };
  const text = explanationText(reason, strings);
  return mentionsDenied(text, deny) ? fallbackReason(deny, strings) : { reason, text };
}

/**
 * The reason when no signal explains an item, checked against the deny-list like every other:
 * "Picked for you", or an empty text when even that mentions a denied term.
 */
export function fallbackReason(
  deny: DenyList,
  strings: Partial<ExplanationStrings> = {},
): Explained {
  const reason: Reason = { kind: 'picked' };
  const text = explanationText(reason, strings);
  return { reason, text: mentionsDenied(text, deny) ? '' : text };
}

/**
 * No signal holds: on a first visit (no history, no prompt) the item is there to start from its
 * category ("A place to start in Tents"); otherwise "Picked for you".
 */
function neutralReason(input: ExplainInput, row: number): Explained {
  const { deny, strings, state, prompt, context } = input;
  if (state.cold && !prompt?.vector) {
    const category = context.items[row]!.categories.find((c) => c !== '');
    for (const reason of [
      ...(category === undefined ? [] : [{ kind: 'starter', category } as const]),
      { kind: 'starter' } as const,
    ]) {
      const text = explanationText(reason, strings);
      if (!mentionsDenied(text, deny)) return { reason, text };
    }
  }
  return fallbackReason(deny, strings);
}

function reasonFor(
  input: ExplainInput,
  row: number,
  feature: FeatureName,
  own: Float32Array,
): Reason | null {
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
      const similarity = (r: number) => dot(v, itemVector(context, r));
      const best = argmax(state.recentRows.filter(allowed), similarity);
      if (best === undefined || similarity(best) < SIMILAR_REASON_MIN) return null;
      const action = actionOf(state.actions.get(best));
      return { kind: 'similar', ...itemRef(context, best), action };
    }
    case 'collab': {
      const model = context.collab;
      const target = context.collabRow[row]!;
      if (!model || target < 0) return null;
      const q = model.target.subarray(target * model.dims, (target + 1) * model.dims);
      const qNorm = Math.sqrt(dot(q, q)) || 1;
      const cosine = (r: number) => {
        const from = context.collabRow[r]!;
        const p = model.history.subarray(from * model.dims, (from + 1) * model.dims);
        return dotRow(model.history, model.dims, from, q) / ((Math.sqrt(dot(p, p)) || 1) * qNorm);
      };
      const best = argmax(
        state.recentRows.filter((r) => allowed(r) && context.collabRow[r]! >= 0),
        cosine,
      );
      return best === undefined || cosine(best) < COLLAB_REASON_MIN
        ? null
        : { kind: 'collab', ...itemRef(context, best) };
    }
    case 'item_item': {
      // An edge of the sequence model is itself the fact: people who took X took this next.
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
      if (!prompt?.vector || dot(itemVector(context, row), prompt.vector) < PROMPT_REASON_MIN)
        return null;
      const terms = prompt.terms.filter((t) => !mentionsDenied(t, deny));
      return terms.length === 0 ? null : { kind: 'prompt', terms };
    }
    case 'category': {
      const categories = context.items[row]!.categories.filter((c) => !mentionsDenied(c, deny));
      const affinity = (c: string) => state.categoryAffinity.get(c) ?? 0;
      const best = argmax(categories, affinity);
      return best === undefined || affinity(best) < CATEGORY_REASON_MIN
        ? null
        : { kind: 'category', category: best };
    }
    case 'popularity':
      // A cold item's popularity feature is the candidates' mean, not a count: never "popular".
      return context.cold[row] === 0 && context.popularity[row]! >= POPULAR_REASON_MIN
        ? { kind: 'popular' }
        : null;
    case 'freshness':
      // The feature is 0.5^(age / half-life): at least FRESH_REASON_MIN within one half-life.
      return own[featureIndex('freshness')]! >= FRESH_REASON_MIN ? { kind: 'new' } : null;
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
