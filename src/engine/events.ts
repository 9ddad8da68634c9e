/**
 * The local event log: interaction events stay on the device (the IndexedDB log of
 * `src/store/event-log.ts` in the browser, memory in eval and tests). Retention keeps at most `maxEvents` events no older than `maxAgeDays`.
 * Unknown item ids are kept (the catalog may catch up); scoring ignores them.
 */

import { EVENT_KINDS } from '../protocol/recommendation.ts';
import type { EngineEvent, EventKind } from './types.ts';

/** Retention limits. */
export interface Retention {
  readonly maxAgeDays: number;
  readonly maxEvents: number;
}

/** Defaults: 180 days, 5,000 events. */
export const DEFAULT_RETENTION: Retention = { maxAgeDays: 180, maxEvents: 5000 };

/** Where events live. */
export interface EventLog {
  /** Stores one event, then applies retention at its time. */
  append(event: EngineEvent): Promise<void>;
  /** Every retained event, oldest first. */
  list(): Promise<EngineEvent[]>;
  /** Deletes every event. */
  clear(): Promise<void>;
}

/** An event that is not a well-formed interaction. */
export class EventError extends Error {
  override readonly name = 'EventError';
}

/** Validates an untrusted event; throws EventError naming the bad field. */
export function checkEvent(value: unknown): EngineEvent {
  const e = value as { kind?: unknown; itemId?: unknown; at?: unknown } | null;
  if (!e || typeof e !== 'object') throw new EventError('track(): expected { kind, itemId, at }.');
  if (!EVENT_KINDS.includes(e.kind as EventKind)) {
    throw new EventError(
      `track(): kind must be one of ${EVENT_KINDS.join(', ')}; got ${String(e.kind)}.`,
    );
  }
  if (typeof e.itemId !== 'string' || e.itemId === '')
    throw new EventError('track(): itemId must be a non-empty string.');
  if (typeof e.at !== 'number' || !Number.isFinite(e.at))
    throw new EventError('track(): at must be epoch milliseconds.');
  return { kind: e.kind as EventKind, itemId: e.itemId, at: e.at };
}

/** Events that survive retention at time `now` (pure): newest `maxEvents` within `maxAgeDays`. */
export function applyRetention(
  events: readonly EngineEvent[],
  retention: Retention,
  now: number,
): EngineEvent[] {
  const cutoff = now - retention.maxAgeDays * 86_400_000;
  const kept = events.filter((e) => e.at >= cutoff);
  return kept.slice(Math.max(0, kept.length - retention.maxEvents));
}

/** An in-memory log (eval, tests, private browsing). */
export function createMemoryEventLog(retention: Retention = DEFAULT_RETENTION): EventLog {
  let events: EngineEvent[] = [];
  return {
    async append(event) {
      events = applyRetention(
        [...events, checkEvent(event)].sort((a, b) => a.at - b.at),
        retention,
        event.at,
      );
    },
    async list() {
      return [...events];
    },
    async clear() {
      events = [];
    },
  };
}
