/**
 * The engine worker's privacy part: the ledger in IndexedDB, the privacy gate (consent off by
 * default; the visitor's choice is kept on the device, `meta` key `privacy.consent`, and wiped by
 * "Forget me"), LDP telemetry to the thin server's `/v1/telemetry`, federated rounds (`/v1/round`,
 * `/v1/model`, `/v1/updates`) when a server is configured, and the gated fetch every loader of
 * the worker downloads through. Only randomised OLH reports and clipped, noised model updates
 * ever leave.
 *
 * Consent is never cached: every send has the ledger read the stored choice in the same IndexedDB
 * transaction that checks the caps and records the row, so consent off or "Forget me" in any tab
 * stops every tab's next send. Both are also announced on `BroadcastChannel('hearth')` so that
 * other contexts drop the telemetry they have queued (privacy-channel.ts).
 */

import { createFederatedClient, globalModelOf, type LocalData } from '../federated/client.ts';
import { expandRankerWeights } from '../federated/ranker-update.ts';
import { ConsentRequiredError } from '../privacy/errors.ts';
import { createPrivacyGate } from '../privacy/gate.ts';
import { createLedger } from '../privacy/ledger.ts';
import { createTelemetryClient, type TelemetryClient } from '../privacy/telemetry-client.ts';
import { type ModelEntry, ModelsResponseSchema, servedName } from '../protocol/model.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import type { Rng } from '../shared/rng.ts';
import { cryptoRng } from '../shared/rng.ts';
import { createIdbLedgerStorage } from '../store/ledger-store.ts';
import { HEARTH_DB_NAME } from '../store/schema.ts';
import type { LedgerView, TrainingOutcome } from './engine-worker.api.ts';
import { gatedFetch, type WorkerFetch } from './gated-fetch.ts';
import { openPrivacyChannel } from './privacy-channel.ts';

/** What the worker exposes as `privacy`, plus `report` for the engine's track(). */
export interface WorkerPrivacy {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now; resolves to the number of reports sent (0 without consent). */
  flush(): Promise<number>;
  /** After "Forget me": drops queued telemetry here and tells every other Hearth context. */
  forgotten(): Promise<void>;
  /** Queues one randomised report of an item event (only with consent and a server). */
  report(itemId: string): Promise<void>;
  /** Telemetry reports queued in this context and not sent yet. */
  pending(): number;
  /**
   * A fetch for public files (catalog, models, ONNX Runtime) through the gate's `download`: each
   * request a ledger row (ε 0) described as `summary`, anonymous, no consent needed.
   */
  download(summary: string): WorkerFetch;
  /**
   * Downloads the server's DP popularity estimates (`/v1/aggregates`) through the gate, as the
   * engine's popularity prior; null without consent, without a server, or when offline.
   */
  popularity(): Promise<Record<string, number> | null>;
  /**
   * Takes part in the current federated round with the visitor's own data (built only when
   * consent is on and a server is configured). Never throws: a refusal by the ledger, the
   * server or the network comes back as `{ kind: 'skipped', reason }`.
   */
  train(local: () => Promise<LocalData>): Promise<TrainingOutcome>;
  /**
   * The ranker the operator promoted for serving (`/v1/model?name=ranker.served`), as engine
   * weights; null without consent, without a server, when none is promoted, or when offline.
   */
  servedRanker(): Promise<{ readonly version: number; readonly weights: number[] } | null>;
  /**
   * A published model's entry (`/v1/model?name=`), downloaded through the gate with consent only
   * (a ledger row at ε 0 described as `summary`); null without consent, a server, the model, or
   * when offline.
   */
  servedModel(name: string, summary: string): Promise<ModelEntry | null>;
  /** Stops listening to other contexts (tests; a worker simply ends). */
  close(): void;
}

/** Options of the privacy part. */
export interface WorkerPrivacyOptions {
  /** Thin-server base URL; without it nothing is ever sent. */
  readonly server?: string;
  readonly dbName?: string;
  /** Randomness of OLH reports and update noise; default the platform CSPRNG (seed it in tests only). */
  readonly rng?: Rng;
  readonly fetch?: typeof fetch;
}

/** Creates the privacy part. */
export function createWorkerPrivacy(options: WorkerPrivacyOptions = {}): WorkerPrivacy {
  const dbName = options.dbName ?? HEARTH_DB_NAME;
  const ledger = createLedger({ storage: createIdbLedgerStorage(dbName) });
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const gate = createPrivacyGate({ ledger, fetch: (url, init) => fetchFn(url, init) });
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
          rng: options.rng ?? cryptoRng,
        });
  // Consent off or "Forget me" in another context: what is queued here was queued under a consent
  // since withdrawn, so it is dropped (the stored-consent check would refuse it anyway).
  const channel = openPrivacyChannel((signal) => {
    if (signal.kind === 'forget' || (signal.db === dbName && !signal.on)) telemetry?.discard();
  });
  const roundsBase = serverUrl('');
  // Randomness from the platform's CSPRNG: a seeded generator's noise could be regenerated by
  // trying every seed and subtracted, and update ids must not be guessable or linkable.
  const federated =
    roundsBase === undefined
      ? null
      : createFederatedClient({
          gate,
          baseUrl: roundsBase,
          rng: options.rng ?? cryptoRng,
          idRng: cryptoRng,
        });
  /**
   * GETs data from the server (`path`) through the gate with consent and returns the JSON body;
   * null without a server, without consent, on an error status, or when offline or refused.
   */
  const request = async (path: string, summary: string): Promise<unknown> => {
    const url = serverUrl(path);
    if (url === undefined || !(await gate.consent())) return null;
    try {
      const response = await gate.send({ url, kind: 'request', summary });
      return response.ok ? await response.json() : null;
    } catch {
      return null;
    }
  };
  return {
    async ledger() {
      const [rows, spent, consent] = await Promise.all([
        ledger.entries(),
        ledger.spent(),
        gate.consent(),
      ]);
      return {
        consent,
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
      if (!on) telemetry?.discard();
      await gate.setConsent(on);
      channel.post({ kind: 'consent', db: dbName, on });
    },
    async flush() {
      if (telemetry === null) return 0;
      if (!(await gate.consent())) {
        telemetry.discard();
        return 0;
      }
      // Consent can go off in another tab between the read above and the send's own check.
      return telemetry.flush().catch((error: unknown) => {
        if (error instanceof ConsentRequiredError) return 0;
        throw error;
      });
    },
    async forgotten() {
      telemetry?.discard();
      channel.post({ kind: 'forget' });
    },
    async report(itemId) {
      if (telemetry !== null && (await gate.consent())) telemetry.report(itemId);
    },
    pending: () => telemetry?.pending ?? 0,
    download: (summary) => gatedFetch(gate, summary),
    async popularity() {
      const body = await request(
        'v1/aggregates?limit=500',
        'download of DP popularity estimates (nothing about this visitor is sent)',
      );
      const parsed = AggregatesSchema.safeParse(body);
      if (!parsed.success) return null;
      // Unbiased estimates can be negative; a prior only needs non-negative weights.
      return Object.fromEntries(parsed.data.items.map((e) => [e.itemId, Math.max(0, e.count)]));
    },
    async servedRanker() {
      const name = servedName('ranker');
      const body = await request(
        `v1/model?name=${encodeURIComponent(name)}`,
        'download of the served ranker (nothing about this visitor is sent)',
      );
      const parsed = ModelsResponseSchema.safeParse(body);
      const entry = parsed.success ? parsed.data.models.find((m) => m.name === name) : undefined;
      if (entry === undefined) return null;
      try {
        const model = globalModelOf(entry);
        if (model.kind !== 'ranker' || !model.params.every(Number.isFinite)) return null;
        return { version: model.version, weights: expandRankerWeights(model.layout, model.params) };
      } catch {
        return null; // a layout this engine cannot use: keep the shipped ranker
      }
    },
    async servedModel(name, summary) {
      const body = await request(`v1/model?name=${encodeURIComponent(name)}`, summary);
      const parsed = ModelsResponseSchema.safeParse(body);
      return (parsed.success ? parsed.data.models.find((m) => m.name === name) : undefined) ?? null;
    },
    async train(local) {
      if (federated === null) return { kind: 'skipped', reason: 'no server is configured' };
      if (!(await gate.consent()))
        return { kind: 'skipped', reason: 'sending is off (no consent)' };
      try {
        const out = await federated.participate(await local());
        return out.kind === 'uploaded'
          ? { kind: 'uploaded', model: out.model, bytes: out.bytes }
          : out;
      } catch (error) {
        return { kind: 'skipped', reason: (error as Error).message };
      }
    },
    close: () => channel.close(),
  };
}
