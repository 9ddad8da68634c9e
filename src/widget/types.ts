/**
 * The contract between the widget (main thread, rendering only) and whatever computes
 * recommendations (the engine worker). Every value here is structured-clone friendly.
 */

import type { CatalogItem } from '../protocol/catalog.ts';
import type { TrainingOutcome } from '../worker/privacy-part.ts';

/** How the element lays out its cards. */
export type WidgetLayout = 'grid' | 'list' | 'carousel';

/** The event kinds a page may record (stored on the device only). */
export type TrackKind = 'view' | 'click' | 'like' | 'dislike' | 'add' | 'purchase' | 'dismiss';

/** One local interaction. */
export interface TrackEvent {
  readonly kind: TrackKind;
  readonly itemId: string;
  /** Milliseconds since the epoch; defaults to now. */
  readonly at?: number;
}

/** Why an item was recommended (the largest contributing signal). */
export type Reason =
  | { readonly kind: 'similar'; readonly itemId: string; readonly title?: string }
  | { readonly kind: 'prompt'; readonly terms: readonly string[] }
  | { readonly kind: 'popular' }
  | { readonly kind: 'new' }
  | { readonly kind: 'collab'; readonly itemId: string; readonly title?: string }
  | { readonly kind: 'category'; readonly category: string }
  | { readonly kind: 'explore' }
  | { readonly kind: 'picked' };

/** One recommended item with its explanation. */
export interface Recommendation {
  readonly item: CatalogItem;
  readonly score: number;
  readonly reason: Reason;
  /** The engine's explanation text (deny-listed terms already removed), when it sends one. */
  readonly explanation?: string;
}

/** What `recommend()` takes. The prompt stays in memory on the device. */
export interface RecommendRequest {
  readonly limit: number;
  readonly prompt?: string;
  readonly exclude?: readonly string[];
}

/** A loading stage shown by the progress bar. */
export type ProgressStage = 'model' | 'catalog' | 'embedding' | 'ready';

/** Progress of one stage: `done` of `total` units (bytes or items); total 0 when unknown. */
export interface Progress {
  readonly stage: ProgressStage;
  readonly done: number;
  readonly total: number;
}

/** Configuration of `Hearth.init`. */
export interface HearthConfig {
  /** URL of the site's catalog (JSON array, JSON Lines, CSV, or a thin-server endpoint). */
  readonly catalog: string;
  /** Optional thin-server base URL; nothing is sent to it without consent. */
  readonly server?: string;
  /** Base URL of the model directory (default `/models/`). */
  readonly models?: string;
  /** Base URL of ONNX Runtime's `.wasm`/`.mjs` files (default `/ort/`). */
  readonly wasm?: string;
  /** URL of the engine worker script (default: the worker bundled with the widget). */
  readonly worker?: string | URL;
}

/** Outcome of initialisation. */
export interface InitResult {
  readonly items: number;
  readonly catalogVersion: string;
  readonly encoderVersion: string;
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

/** What Hearth keeps locally. */
export interface StorageStats {
  readonly stores: readonly {
    readonly name: string;
    readonly count: number;
    readonly bytes: number;
  }[];
  /** Origin-wide usage from `navigator.storage.estimate()`, when available. */
  readonly usageBytes?: number;
}

/** The typed client the widget and the JS API talk to; implemented over comlink. */
export interface HearthClient {
  /**
   * Loads the catalog. With a stored catalog it resolves at once and syncs in the background,
   * calling `onCatalogUpdated` when the sync brought a new version.
   */
  init(
    config: HearthConfig,
    onProgress: (progress: Progress) => void,
    onCatalogUpdated?: () => void,
  ): Promise<InitResult>;
  recommend(request: RecommendRequest): Promise<Recommendation[]>;
  track(event: TrackEvent): Promise<void>;
  item(id: string): Promise<CatalogItem | undefined>;
  forget(): Promise<void>;
  ledger(): Promise<LedgerView>;
  storage(): Promise<StorageStats>;
  setConsent(on: boolean): Promise<void>;
  /**
   * Sends queued LDP telemetry now instead of after its random delay (only with consent and a
   * server); the number of reports sent.
   */
  flush(): Promise<number>;
  /**
   * Takes part in the current federated round now instead of at its random time (only with
   * consent and a server): trains on this device's events and uploads a clipped, noised update.
   */
  train(): Promise<TrainingOutcome>;
  dispose(): void;
}
