/**
 * The engine worker's privacy part: the ledger in IndexedDB, the privacy gate (consent off by
 * default; the visitor's choice is kept on the device, `meta` key `privacy.consent`, and wiped by
 * "Forget me"), contributions, and the gated fetch every loader of the worker downloads through.
 *
 * Contributions depend on what the site configured:
 * - `server` and `helper` (the default mode, secure aggregation): DAP reports to the tasks the
 *   server's leader publishes (`/v1/dap/tasks`), secret-shared between the leader and the
 *   configured helper, one per task and window (src/federated/dap-client.ts). No LDP telemetry and
 *   no LDP update is sent.
 * - `server` only (single-server fallback): LDP telemetry to `/v1/telemetry` (OLH reports) and
 *   federated rounds (`/v1/round`, `/v1/model`, `/v1/updates`, clipped, locally noised updates).
 * - neither: nothing is ever sent.
 *
 * Consent is never cached: every send has the ledger read the stored choice in the same IndexedDB
 * transaction that checks the caps and records the row, so consent off or "Forget me" in any tab
 * stops every tab's next send. Both are also announced on `BroadcastChannel('hearth')` so that
 * other contexts drop the telemetry they have queued (privacy-channel.ts).
 */

import type { HeldOutRanker } from '../engine/service.ts';
import { createFederatedClient, globalModelOf, type LocalData } from '../federated/client.ts';
import { createDapClient, type DapClient } from '../federated/dap-client.ts';
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
import type {
  ContributionOutcome,
  LedgerView,
  Protection,
  TrainingOutcome,
} from './engine-worker.api.ts';
import { gatedFetch, type WorkerFetch } from './gated-fetch.ts';
import { openPrivacyChannel } from './privacy-channel.ts';

/** The visitor's own data a contribution is made from (built on the device, never sent as such). */
export interface ContributionData extends LocalData {
  /** Ranks the held-out last positive item with two item-item models (federated evaluations). */
  readonly heldOutRanks?: HeldOutRanker;
}

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
   * Contributes the visitor's own data (built only when consent is on and something will be
   * sent): with a helper configured, the DAP reports of `contribute`; otherwise the current
   * federated round (LDP). Never throws: a refusal by the ledger, the server or the network comes
   * back as `{ kind: 'skipped', reason }`.
   */
  train(local: () => Promise<ContributionData>): Promise<TrainingOutcome>;
  /**
   * Makes this visitor's DAP reports now, one per open task and window (with consent, and with
   * both a server and a helper configured); each task's outcome, never a throw.
   */
  contribute(local: () => Promise<ContributionData>): Promise<ContributionOutcome>;
  /** Which protection this part's contributions get: 'dap', 'ldp', or 'none' (nothing sent). */
  readonly mode: Protection | 'none';
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
  /**
   * The DAP helper aggregator's URL, as the site configured it. With `server` too, contributions
   * are DAP reports (the server's leader and this helper); without it, LDP to the server.
   */
  readonly helper?: string;
  readonly dbName?: string;
  /** Randomness of OLH reports and update noise; default the platform CSPRNG (seed it in tests only). */
  readonly rng?: Rng;
  readonly fetch?: typeof fetch;
}

/** The protection a ledger row's release had: LDP noise on the device, or DAP (none for requests). */
function protectionOf(kind: string): { protection?: Protection } {
  if (kind === 'telemetry' || kind === 'update') return { protection: 'ldp' };
  if (kind === 'dap-report') return { protection: 'dap' };
  return {};
}

/** A DAP contribution as the outcome of `train()`: uploaded when at least one report left. */
function trainingOutcome(out: ContributionOutcome): TrainingOutcome {
  if (out.kind === 'skipped') return out;
  const sent = out.tasks.filter((t) => t.kind === 'reported');
  if (sent.length === 0) {
    const reasons = out.tasks.map((t) => `${t.name}: ${t.kind === 'reported' ? '' : t.reason}`);
    return {
      kind: 'skipped',
      reason: reasons.length === 0 ? 'no open secure-aggregation task' : reasons.join('; '),
    };
  }
  return {
    kind: 'uploaded',
    model: sent.map((t) => t.name).join(', '),
    bytes: sent.reduce((n, t) => n + (t.kind === 'reported' ? t.bytes : 0), 0),
  };
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
  const mode: Protection | 'none' =
    options.server === undefined ? 'none' : options.helper === undefined ? 'ldp' : 'dap';
  // LDP only as the single-server fallback: with a helper, nothing leaves but DAP reports.
  const telemetryUrl = mode === 'ldp' ? serverUrl('v1/telemetry') : undefined;
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
  const roundsBase = mode === 'ldp' ? serverUrl('') : undefined;
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
  const dap: DapClient | null =
    mode === 'dap' && options.server !== undefined && options.helper !== undefined
      ? createDapClient({
          gate,
          ledger,
          server: options.server,
          helper: options.helper,
          // The CSPRNG: the rounding of a ranker delta must not be replayable from a seed.
          rng: options.rng ?? cryptoRng,
        })
      : null;
  /** DAP reports of every open task, or why none is attempted. */
  const contribute = async (
    local: () => Promise<ContributionData>,
  ): Promise<ContributionOutcome> => {
    if (dap === null)
      return { kind: 'skipped', reason: 'secure aggregation needs both a server and a helper' };
    if (!(await gate.consent())) return { kind: 'skipped', reason: 'sending is off (no consent)' };
    try {
      const tasks = await dap.contribute(async () => {
        const data = await local();
        return {
          positiveItems: data.collabItems ?? [],
          rankerGroups: data.rankerGroups ?? [],
          ...(data.heldOutRanks === undefined ? {} : { heldOutRanks: data.heldOutRanks }),
        };
      });
      return { kind: 'dap', tasks };
    } catch (error) {
      return { kind: 'skipped', reason: (error as Error).message };
    }
  };
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
        mode,
        rows: rows.map((r) => ({
          at: r.at,
          kind: r.kind,
          ...protectionOf(r.kind),
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
    contribute,
    mode,
    async train(local) {
      if (mode === 'dap') return trainingOutcome(await contribute(local));
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
