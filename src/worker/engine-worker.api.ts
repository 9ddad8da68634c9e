/**
 * The one contract between the page and the engine worker (`workers/engine.worker.ts`, comlink
 * `expose` of `createEngineWorker(...)`). Both sides import it: the worker implements it, the
 * page's client (`src/widget/worker-client.ts`) wraps it. Every value is structured-clone
 * friendly; each part is proxy-marked so that `Comlink.wrap<EngineWorkerApi>` types nested calls.
 */
import type { ProxyMarked } from 'comlink';
import type { CatalogApi } from '../catalog/catalog.api.ts';
import type { DapTaskOutcome } from '../federated/dap-client.ts';
import type {
  EngineEvent,
  Recommendation,
  RecommendRequest,
  TrackEvent,
} from '../protocol/recommendation.ts';

/** What the page can ask of the engine: one recommend call is one round trip with the items. */
export interface EnginePart {
  /** Records an interaction on the device (IndexedDB); never sent as such. */
  track(event: TrackEvent): Promise<void>;
  /** Up to `limit` recommendations with their items and reasons. */
  recommend(request: RecommendRequest): Promise<Recommendation[]>;
  /** The events stored on this device (for "what Hearth knows about me"). */
  events(): Promise<EngineEvent[]>;
  /** Deletes every Hearth database on this origin and the engine's memory. */
  forget(): Promise<void>;
}

/**
 * How a release was protected: `ldp`, noise added on the device (trusts no server); `dap`,
 * secret-shared between two aggregators with a proof of validity, noise added by each aggregator
 * (trusts that at least one of the two follows the protocol).
 */
export type Protection = 'ldp' | 'dap';

/** One row of "what left this device". */
export interface LedgerRow {
  readonly at: number;
  readonly kind: string;
  /** The protection of a release (absent for requests and downloads, which release nothing). */
  readonly protection?: Protection;
  readonly url?: string;
  readonly bytes: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly summary: string;
}

/** The privacy ledger as the panel shows it. */
export interface LedgerView {
  readonly consent: boolean;
  /** What contributions this page makes: DAP reports, LDP reports, or none (no server). */
  readonly mode: Protection | 'none';
  readonly rows: readonly LedgerRow[];
  readonly dailyEpsilon: number;
  readonly lifetimeEpsilon: number;
  readonly caps: { readonly dailyEpsilon: number; readonly lifetimeEpsilon: number };
}

/** What one `train` call did. */
export type TrainingOutcome =
  | { readonly kind: 'uploaded'; readonly model: string; readonly bytes: number }
  | { readonly kind: 'skipped'; readonly reason: string };

/** What one `contribute` call did: each open task's outcome, or why none was attempted. */
export type ContributionOutcome =
  | { readonly kind: 'dap'; readonly tasks: readonly DapTaskOutcome[] }
  | { readonly kind: 'skipped'; readonly reason: string };

export type { DapTaskOutcome };

/** The privacy part: the ledger, consent, and contributions on request. */
export interface PrivacyPart {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now (with consent); resolves to the number of reports sent. */
  flush(): Promise<number>;
  /**
   * Contributes now (with consent and a server): with a helper configured, the DAP reports of
   * `contribute`; otherwise takes part in the current federated round (trains the model the round
   * names on this device's events and uploads a clipped, locally noised update). The worker also
   * does this once per page load, at a random time after the first recommendations.
   */
  train(): Promise<TrainingOutcome>;
  /**
   * Makes this device's secure-aggregation (DAP) reports now, one per open task and window (with
   * consent, a server and a helper): the visitor's recent positive items and local ranker delta,
   * secret-shared between the two aggregators.
   */
  contribute(): Promise<ContributionOutcome>;
}

/** What the page needs of the catalog (the worker exposes the whole `CatalogApi`). */
export type CatalogPart = Pick<CatalogApi, 'sync' | 'status' | 'getItems' | 'count'>;

/** The object the engine worker exposes. */
export interface EngineWorkerApi {
  readonly catalog: CatalogPart & ProxyMarked;
  readonly engine: EnginePart & ProxyMarked;
  readonly privacy: PrivacyPart & ProxyMarked;
}
