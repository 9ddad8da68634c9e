/**
 * IndexedDB ledger storage over the `ledger` and `meta` stores of `src/store/schema.ts`. Rows keep
 * the store's shape; the optional `rho` and `url` fields ride along as extra properties and are
 * re-validated on the way out (storage is a boundary: data read back is `unknown`). The visitor's
 * consent choice is the `meta` record `privacy.consent`; each `once` key of a release (one DAP report
 * per task and window) is the `meta` record `privacy.once:<key>`, holding the time of its release.
 *
 * `appendIf` runs in ONE readwrite transaction over `ledger` and `meta`: IndexedDB runs readwrite
 * transactions with overlapping scopes one after another, across every connection of the origin
 * (every tab and worker), so the read of the rows and the consent, the cap check and the append
 * cannot interleave with another context's. Each call opens and closes its own connection, so
 * "Forget me" (which deletes the database) is never blocked by a ledger held open.
 */
import type { IDBPDatabase } from 'idb';
import { z } from 'zod';
import { LEDGER_KINDS, type LedgerEntry, type LedgerStorage } from '../privacy/ledger.ts';
import { HEARTH_DB_NAME, type HearthDB, openHearthDB } from './schema.ts';

/** The `meta` key of the visitor's consent choice. */
export const CONSENT_META_KEY = 'privacy.consent';

/** The `meta` key prefix of `once` keys (a release made at most once, e.g. per DAP task window). */
export const ONCE_META_PREFIX = 'privacy.once:';

/** Every `meta` key of a `once` key, as an IndexedDB key range. */
const onceRange = () => IDBKeyRange.bound(ONCE_META_PREFIX, `${ONCE_META_PREFIX}\uffff`);

/**
 * Any number, NaN and infinities included: a stored row with a bad cost must still be read (the
 * ledger counts it as an exhausted budget) rather than silently dropped (which would undercount).
 */
const anyNumber = z.custom<number>((v) => typeof v === 'number');

const ledgerRowSchema = z.object({
  id: z.number().int().optional(),
  at: z.number(),
  kind: z.enum(LEDGER_KINDS),
  epsilon: anyNumber,
  delta: anyNumber,
  bytes: anyNumber,
  summary: z.string(),
  rho: anyNumber.optional(),
  url: z.string().optional(),
});

function parseRows(rows: readonly unknown[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const row of rows) {
    const parsed = ledgerRowSchema.safeParse(row);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Ledger storage in the visitor's IndexedDB (browser and worker). */
export function createIdbLedgerStorage(dbName: string = HEARTH_DB_NAME): LedgerStorage {
  const withDb = async <T>(task: (db: IDBPDatabase<HearthDB>) => Promise<T>): Promise<T> => {
    const db = await openHearthDB(dbName);
    try {
      return await task(db);
    } finally {
      db.close();
    }
  };
  return {
    appendIf: (entry, decide, once) =>
      withDb(async (db) => {
        const tx = db.transaction(['ledger', 'meta'], 'readwrite');
        const ledger = tx.objectStore('ledger');
        const meta = tx.objectStore('meta');
        const onceKey = once === undefined ? undefined : `${ONCE_META_PREFIX}${once}`;
        // Only IndexedDB requests are awaited below: the transaction stays active throughout.
        const [rows, consent, taken] = await Promise.all([
          ledger.getAll(),
          meta.get(CONSENT_META_KEY),
          onceKey === undefined ? undefined : meta.get(onceKey),
        ]);
        const plan = decide({
          rows: parseRows(rows),
          consent: consent?.value === true,
          released: taken !== undefined,
        });
        if ('refuse' in plan) {
          await tx.done;
          return { refuse: plan.refuse };
        }
        const { id: _ignored, ...row } = entry as LedgerEntry; // the store assigns ids
        const [id] = await Promise.all([
          ledger.add({ ...row }),
          ...plan.prune.map((key) => ledger.delete(key)),
          ...(onceKey === undefined ? [] : [meta.put({ key: onceKey, value: entry.at })]),
        ]);
        await tx.done;
        return { id };
      }),
    list: (sinceMs) =>
      withDb(async (db) => {
        const range = sinceMs === undefined ? undefined : IDBKeyRange.lowerBound(sinceMs);
        return parseRows(await db.getAllFromIndex('ledger', 'by-at', range));
      }),
    isReleased: (key) =>
      withDb(async (db) => (await db.get('meta', `${ONCE_META_PREFIX}${key}`)) !== undefined),
    clear: (): Promise<void> =>
      withDb(async (db) => {
        const tx = db.transaction(['ledger', 'meta'], 'readwrite');
        await Promise.all([
          tx.objectStore('ledger').clear(),
          tx.objectStore('meta').delete(onceRange()),
          tx.done,
        ]);
      }),
    readConsent: () =>
      withDb(async (db) => (await db.get('meta', CONSENT_META_KEY))?.value === true),
    writeConsent: (on) =>
      withDb(async (db) => {
        await db.put('meta', { key: CONSENT_META_KEY, value: on });
      }),
  };
}
