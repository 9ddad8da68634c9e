/**
 * The engine worker's privacy part: the ledger in IndexedDB, the privacy gate (consent off by
 * default; the visitor's choice is kept on the device, `meta` key `consent`, and wiped by
 * "Forget me"), and LDP telemetry to the thin server's `/v1/telemetry` when a server is
 * configured. Only randomised OLH reports ever leave.
 */
import { createPrivacyGate } from '../privacy/gate.ts';
import { createLedger } from '../privacy/ledger.ts';
import { createIdbLedgerStorage } from '../privacy/ledger-idb.ts';
import { createTelemetryClient, type TelemetryClient } from '../privacy/telemetry-client.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import { HEARTH_DB_NAME, openHearthDB } from '../store/schema.ts';
import type { LedgerView } from './types.ts';

/** What the worker exposes as `privacy`, plus `report` for the engine's track(). */
export interface WorkerPrivacy {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now; resolves to the number of reports sent (0 without consent). */
  flush(): Promise<number>;
  /** After "Forget me": sending off for this page (the stored choice went with the database). */
  forgotten(): Promise<void>;
  /** Queues one randomised report of an item event (only with consent and a server). */
  report(itemId: string): Promise<void>;
  /**
   * Downloads the server's DP popularity estimates (`/v1/aggregates`) through the gate, as the
   * engine's popularity prior; null without consent, without a server, or when offline.
   */
  popularity(): Promise<Record<string, number> | null>;
}

/** Options of the privacy part. */
export interface WorkerPrivacyOptions {
  /** Thin-server base URL; without it nothing is ever sent. */
  readonly server?: string;
  readonly dbName?: string;
  readonly rng?: Rng;
  readonly fetch?: typeof fetch;
}

/** The `meta` key of the visitor's consent choice. */
export const CONSENT_META_KEY = 'privacy.consent';

/** A per-page random seed for the OLH randomisation (never stored, never sent). */
function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
}

/** Creates the privacy part. */
export function createWorkerPrivacy(options: WorkerPrivacyOptions = {}): WorkerPrivacy {
  const ledger = createLedger({ storage: createIdbLedgerStorage(options.dbName) });
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const gate = createPrivacyGate({ ledger, fetch: (url, init) => fetchFn(url, init) });
  // One short-lived connection per use: "Forget me" deletes the database under open handles.
  const withDb = async <T>(
    task: (db: Awaited<ReturnType<typeof openHearthDB>>) => Promise<T>,
  ): Promise<T> => {
    const db = await openHearthDB(options.dbName ?? HEARTH_DB_NAME);
    try {
      return await task(db);
    } finally {
      db.close();
    }
  };
  // The stored choice, read once; until it is read, consent is off (nothing can leave early).
  const restored = withDb((db) => db.get('meta', CONSENT_META_KEY))
    .then((record) => gate.setConsent(record?.value === true))
    .catch(() => undefined);
  const serverUrl = (path: string) =>
    options.server === undefined
      ? undefined
      : new URL(path, options.server.endsWith('/') ? options.server : `${options.server}/`).href;
  const telemetryUrl = serverUrl('v1/telemetry');
  const telemetry: TelemetryClient | null =
    telemetryUrl === undefined
      ? null
      : createTelemetryClient({
          gate,
          url: telemetryUrl,
          rng: options.rng ?? seededRng(freshSeed()),
        });
  return {
    async ledger() {
      await restored;
      const [rows, spent] = await Promise.all([ledger.entries(), ledger.spent()]);
      return {
        consent: gate.consent,
        rows: rows.map((r) => ({
          at: r.at,
          kind: r.kind,
          ...(r.url !== undefined ? { url: r.url } : {}),
          bytes: r.bytes,
          epsilon: r.epsilon,
          delta: r.delta,
          summary: r.summary,
        })),
        dailyEpsilon: spent.daily.epsilon,
        lifetimeEpsilon: spent.lifetime.epsilon,
        caps: {
          dailyEpsilon: ledger.caps.dailyEpsilon,
          lifetimeEpsilon: ledger.caps.lifetimeEpsilon,
        },
      };
    },
    async setConsent(on) {
      await restored;
      gate.setConsent(on);
      await withDb((db) => db.put('meta', { key: CONSENT_META_KEY, value: on }));
    },
    async flush() {
      await restored;
      if (telemetry === null || !gate.consent) return 0;
      return telemetry.flush();
    },
    async forgotten() {
      await restored;
      gate.setConsent(false);
    },
    async report(itemId) {
      await restored;
      if (telemetry !== null && gate.consent) telemetry.report(itemId);
    },
    async popularity() {
      await restored;
      const url = serverUrl('v1/aggregates?limit=500');
      if (url === undefined || !gate.consent) return null;
      try {
        const response = await gate.send({
          url,
          kind: 'request',
          summary: 'download of DP popularity estimates (nothing about this visitor is sent)',
        });
        if (!response.ok) return null;
        const parsed = AggregatesSchema.safeParse(await response.json());
        if (!parsed.success) return null;
        // Unbiased estimates can be negative; a prior only needs non-negative weights.
        return Object.fromEntries(parsed.data.items.map((e) => [e.itemId, Math.max(0, e.count)]));
      } catch {
        return null; // offline or refused: the engine keeps its current prior
      }
    },
  };
}
