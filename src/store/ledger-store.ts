/**
 * IndexedDB ledger storage over the `ledger` store of `src/store/schema.ts`. Rows keep the
 * store's shape; the optional `rho` and `url` fields ride along as extra properties and are
 * re-validated on the way out (storage is a boundary: data read back is `unknown`).
 */
import { z } from 'zod';
import type { LedgerEntry, LedgerStorage } from '../privacy/ledger.ts';
import { HEARTH_DB_NAME, openHearthDB } from './schema.ts';

const ledgerRowSchema = z.object({
  id: z.number().int().optional(),
  at: z.number(),
  kind: z.enum(['telemetry', 'update', 'request', 'download']),
  epsilon: z.number(),
  delta: z.number(),
  bytes: z.number(),
  summary: z.string(),
  rho: z.number().optional(),
  url: z.string().optional(),
});

/** Ledger storage in the visitor's IndexedDB (browser and worker). */
export function createIdbLedgerStorage(dbName: string = HEARTH_DB_NAME): LedgerStorage {
  const open = () => openHearthDB(dbName);
  return {
    async append(entry) {
      const db = await open();
      const { id: _ignored, ...row } = entry;
      return db.add('ledger', { ...row });
    },
    async list(sinceMs) {
      const db = await open();
      const range = sinceMs === undefined ? undefined : IDBKeyRange.lowerBound(sinceMs);
      const rows: unknown[] = await db.getAllFromIndex('ledger', 'by-at', range);
      const out: LedgerEntry[] = [];
      for (const row of rows) {
        const parsed = ledgerRowSchema.safeParse(row);
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },
    async clear() {
      const db = await open();
      await db.clear('ledger');
    },
  };
}
