/**
 * The one recommend contract between the page and the engine worker: what a visitor did (one
 * event kind), what the page asks, and what comes back (one Recommendation, one Reason). Every
 * value is structured-clone friendly; the worker narrows what the page sends with these schemas.
 */
import { z } from 'zod';
import type { CatalogItem } from './catalog.ts';
import { type ExplanationStrings, MAX_TEMPLATE_CHARS } from './strings.ts';

/** What a visitor did with an item. */
export const EventKindSchema = z.enum([
  'view',
  'click',
  'like',
  'dislike',
  'add',
  'purchase',
  'dismiss',
]);

/** What a visitor did with an item. */
export type EventKind = z.infer<typeof EventKindSchema>;

/** Every event kind, in a stable order. */
export const EVENT_KINDS: readonly EventKind[] = EventKindSchema.options;

/** One local interaction as the page reports it; `at` (epoch ms) defaults to now. */
export interface TrackEvent {
  readonly kind: EventKind;
  readonly itemId: string;
  readonly at?: number;
}

/** One stored interaction; `at` is epoch milliseconds. */
export interface EngineEvent {
  readonly kind: EventKind;
  readonly itemId: string;
  readonly at: number;
}

/** What the visitor did with the item a "similar" reason names (click reads as viewed). */
export type ReasonAction = 'view' | 'like' | 'add' | 'purchase';

/**
 * Why an item was recommended: its largest contributing signal when that signal clearly supports
 * it (thresholds in `src/engine/explain.ts`), else a neutral reason (`starter` on a first visit).
 */
export type Reason =
  | {
      readonly kind: 'similar';
      readonly itemId: string;
      readonly title: string;
      readonly action: ReasonAction;
    }
  | { readonly kind: 'collab'; readonly itemId: string; readonly title: string }
  | { readonly kind: 'prompt'; readonly terms: readonly string[] }
  | { readonly kind: 'category'; readonly category: string }
  | { readonly kind: 'popular' }
  | { readonly kind: 'new' }
  | { readonly kind: 'explore' }
  | { readonly kind: 'starter'; readonly category?: string }
  | { readonly kind: 'picked' };

/** One recommended item with its reason, in one worker round trip. */
export interface Recommendation {
  readonly item: CatalogItem;
  readonly score: number;
  readonly reason: Reason;
  /** The reason as one sentence; deny-listed terms never appear. */
  readonly explanation: string;
  /**
   * The item's image from the device's image cache (fetched at catalog sync for a set that does
   * not depend on the visitor); the page shows it through an object URL, never by loading
   * `item.image`. Absent when the image is not cached.
   */
  readonly cachedImage?: Blob;
}

const template = z.string().max(MAX_TEMPLATE_CHARS);

/** Overrides of the explanation templates as the page sends them with a recommend request. */
export const ExplanationStringsSchema = z
  .strictObject({
    becauseViewed: template,
    becauseLiked: template,
    becauseAdded: template,
    becauseBought: template,
    othersAlsoLiked: template,
    matchesPrompt: template,
    becauseCategory: template,
    popular: template,
    fresh: template,
    explore: template,
    starter: template,
    starterAny: template,
    picked: template,
  } satisfies Record<keyof ExplanationStrings, typeof template>)
  .partial();

/** Most results one request may ask for. */
export const MAX_RECOMMEND_LIMIT = 50;

/** What the page asks for (`recommend()`); narrowed by the worker before use. */
export const RecommendRequestSchema = z.object({
  limit: z.number().int().min(1).max(MAX_RECOMMEND_LIMIT),
  /** What the visitor wants now; in memory for this call only. */
  prompt: z.string().max(2_000).optional(),
  /**
   * Opt-in: keep `prompt` on this device (IndexedDB) and reuse it when a later call gives no
   * prompt; with an empty prompt it forgets the kept one. Never sent anywhere.
   */
  rememberPrompt: z.boolean().optional(),
  /** Item ids never to return in this response (e.g. the item the page shows). */
  exclude: z.array(z.string()).max(10_000).optional(),
  /** The site's wording of the explanations (any template left out keeps its default). */
  strings: ExplanationStringsSchema.optional(),
});

/** What the page asks for. */
export type RecommendRequest = z.infer<typeof RecommendRequestSchema>;
