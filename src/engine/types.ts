/** Shared engine types: events, items as the engine sees them, results and their reasons. */

/** What a visitor did with an item. */
export type EventKind = 'view' | 'click' | 'like' | 'dislike' | 'add' | 'purchase' | 'dismiss';

/** Every event kind, in a stable order. */
export const EVENT_KINDS: readonly EventKind[] = [
  'view',
  'click',
  'like',
  'dislike',
  'add',
  'purchase',
  'dismiss',
];

/** One local interaction; `at` is epoch milliseconds. */
export interface EngineEvent {
  readonly kind: EventKind;
  readonly itemId: string;
  readonly at: number;
}

/** A catalog item as the engine needs it. */
export interface EngineItem {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  /** Lower-cased searchable text (title, categories, tags) for negation term matches. */
  readonly text: string;
  /** Epoch ms the item appeared in the catalog, when known (freshness). */
  readonly createdAt?: number;
  /** False when the item cannot be offered (out of stock, withdrawn). */
  readonly available?: boolean;
}

/** Why an item was recommended, derived from its largest contributing signal. */
export type Reason =
  | { readonly kind: 'similar'; readonly itemId: string }
  | { readonly kind: 'collab'; readonly itemId: string }
  | { readonly kind: 'prompt'; readonly terms: readonly string[] }
  | { readonly kind: 'category'; readonly category: string }
  | { readonly kind: 'popular' }
  | { readonly kind: 'new' }
  | { readonly kind: 'explore' }
  | { readonly kind: 'picked' };

/** One recommended item. */
export interface Recommendation {
  readonly itemId: string;
  readonly score: number;
  readonly reason: Reason;
  /** Human-readable explanation of `reason` (deny-listed terms never appear). */
  readonly explanation: string;
}
