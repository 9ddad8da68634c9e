/** The visitor's event log in the `events` store of Hearth's IndexedDB database. */
import { checkEvent, DEFAULT_RETENTION, type EventLog, type Retention } from '../engine/events.ts';
import type { EventKind } from '../engine/types.ts';
import { reopeningHearthDB } from './schema.ts';

/** A log in the `events` store of Hearth's IndexedDB database. */
export function createIndexedDbEventLog(
  retention: Retention = DEFAULT_RETENTION,
  dbName?: string,
): EventLog {
  // Reopens after "Forget me" in another tab deleted the database under this connection.
  const db = reopeningHearthDB(dbName);
  return {
    async append(event) {
      const e = checkEvent(event);
      const tx = (await db()).transaction('events', 'readwrite');
      await tx.store.add({ kind: e.kind, itemId: e.itemId, at: e.at });
      // Retention: drop events older than the cutoff, then the oldest beyond maxEvents.
      const byAt = tx.store.index('by-at');
      const cutoff = e.at - retention.maxAgeDays * 86_400_000;
      let cursor = await byAt.openCursor(IDBKeyRange.upperBound(cutoff, true));
      while (cursor) {
        await cursor.delete();
        cursor = await cursor.continue();
      }
      let excess = (await tx.store.count()) - retention.maxEvents;
      cursor = excess > 0 ? await byAt.openCursor() : null;
      while (cursor && excess > 0) {
        await cursor.delete();
        excess--;
        cursor = await cursor.continue();
      }
      await tx.done;
    },
    async list() {
      const records = await (await db()).getAllFromIndex('events', 'by-at');
      return records.map((r) => ({ kind: r.kind as EventKind, itemId: r.itemId, at: r.at }));
    },
    async clear() {
      await (await db()).clear('events');
    },
  };
}
