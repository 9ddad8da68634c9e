/** Shared engine types: items as the engine sees them and its ranked results. */
import type { Reason } from '../protocol/recommendation.ts';

export type { EngineEvent, EventKind, Reason } from '../protocol/recommendation.ts';

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

/** One ranked item as the engine returns it (the worker adds the catalog item). */
export interface RankedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: Reason;
  /** Human-readable explanation of `reason` (deny-listed terms never appear). */
  readonly explanation: string;
}
