/**
 * The one contract between the page and the engine worker (`workers/engine.worker.ts`, comlink
 * `expose` of `createEngineWorker(...)`). Both sides import it: the worker implements it, the
 * page's client (`src/widget/worker-client.ts`) wraps it. Every value is structured-clone
 * friendly; each part is proxy-marked so that `Comlink.wrap<EngineWorkerApi>` types nested calls.
 */
import type { ProxyMarked } from 'comlink';
import type { CatalogApi } from '../catalog/catalog.api.ts';
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

/** One row of "what left this device". */
export interface LedgerRow {
  readonly at: number;
  readonly kind: string;
  readonly url?: string;
  readonly bytes: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly summary: string;
}

/** The privacy ledger as the panel shows it. */
export interface LedgerView {
  readonly consent: boolean;
  readonly rows: readonly LedgerRow[];
  readonly dailyEpsilon: number;
  readonly lifetimeEpsilon: number;
  readonly caps: { readonly dailyEpsilon: number; readonly lifetimeEpsilon: number };
}

/** What one `train` call did. */
export type TrainingOutcome =
  | { readonly kind: 'uploaded'; readonly model: string; readonly bytes: number }
  | { readonly kind: 'skipped'; readonly reason: string };

/** The privacy part: the ledger, consent, and contributions on request. */
export interface PrivacyPart {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now (with consent); resolves to the number of reports sent. */
  flush(): Promise<number>;
  /**
   * Takes part in the current federated round now (with consent and a server): trains the model
   * the round names on this device's events and uploads a clipped, noised update. The worker
   * also does this once per page load, at a random time after the first recommendations.
   */
  train(): Promise<TrainingOutcome>;
}

/** What the page needs of the catalog (the worker exposes the whole `CatalogApi`). */
export type CatalogPart = Pick<CatalogApi, 'sync' | 'status' | 'getItems' | 'count'>;

/** The object the engine worker exposes. */
export interface EngineWorkerApi {
  readonly catalog: CatalogPart & ProxyMarked;
  readonly engine: EnginePart & ProxyMarked;
  readonly privacy: PrivacyPart & ProxyMarked;
}
