/**
 * The engine worker's privacy part: the ledger in IndexedDB, the privacy gate (consent off by
 * default, in memory for the page's life), and LDP telemetry to the thin server's
 * `/v1/telemetry` when a server is configured. Only randomised OLH reports ever leave.
 */
import { createPrivacyGate } from '../privacy/gate.ts';
import { createLedger } from '../privacy/ledger.ts';
import { createIdbLedgerStorage } from '../privacy/ledger-idb.ts';
import { createTelemetryClient, type TelemetryClient } from '../privacy/telemetry-client.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import type { LedgerView } from './types.ts';

/** What the worker exposes as `privacy`, plus `report` for the engine's track(). */
export interface WorkerPrivacy {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now; resolves to the number of reports sent (0 without consent). */
  flush(): Promise<number>;
  /** Queues one randomised report of an item event (only with consent and a server). */
  report(itemId: string): void;
}

/** Options of the privacy part. */
export interface WorkerPrivacyOptions {
  /** Thin-server base URL; without it nothing is ever sent. */
  readonly server?: string;
  readonly dbName?: string;
  readonly rng?: Rng;
  readonly fetch?: typeof fetch;
}

/** A per-page random seed for the OLH randomisation (never stored, never sent). */
function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
}

/** Creates the privacy part. */
export function createWorkerPrivacy(options: WorkerPrivacyOptions = {}): WorkerPrivacy {
  const ledger = createLedger({ storage: createIdbLedgerStorage(options.dbName) });
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const gate = createPrivacyGate({ ledger, fetch: (url, init) => fetchFn(url, init) });
  const telemetry: TelemetryClient | null =
    options.server === undefined
      ? null
      : createTelemetryClient({
          gate,
          url: new URL(
            'v1/telemetry',
            options.server.endsWith('/') ? options.server : `${options.server}/`,
          ).href,
          rng: options.rng ?? seededRng(freshSeed()),
        });
  return {
    async ledger() {
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
      gate.setConsent(on);
    },
    async flush() {
      if (telemetry === null || !gate.consent) return 0;
      return telemetry.flush();
    },
    report(itemId) {
      if (telemetry !== null && gate.consent) telemetry.report(itemId);
    },
  };
}
