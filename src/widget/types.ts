/**
 * The page side's types: the element's layout, loading progress, `Hearth.init`'s configuration
 * and the client the widget and the JS API talk to. What crosses to the worker is defined once,
 * in `src/protocol/recommendation.ts` and `src/worker/engine-worker.api.ts`, and re-exported here.
 */

import type { ImageOptions } from '../catalog/catalog.api.ts';
import type { CatalogReport } from '../catalog/report.ts';
import type { CatalogItem } from '../protocol/catalog.ts';
import type { Recommendation, RecommendRequest, TrackEvent } from '../protocol/recommendation.ts';
import type {
  ContributionOutcome,
  LedgerView,
  TrainingOutcome,
} from '../worker/engine-worker.api.ts';
import type { HearthStrings } from './strings.ts';

export type { ImageMode, ImageOptions } from '../catalog/catalog.api.ts';
export type { CatalogProblem, CatalogReport } from '../catalog/report.ts';
export type {
  EventKind,
  Reason,
  Recommendation,
  RecommendRequest,
  TrackEvent,
} from '../protocol/recommendation.ts';
export type { ExplanationStrings } from '../protocol/strings.ts';
export type {
  ContributionOutcome,
  DapTaskOutcome,
  LedgerRow,
  LedgerView,
  Protection,
  TrainingOutcome,
} from '../worker/engine-worker.api.ts';
export type { HearthStrings, WidgetStrings } from './strings.ts';

/** How the element lays out its cards. */
export type WidgetLayout = 'grid' | 'list' | 'carousel';

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
  /**
   * Optional DAP helper aggregator URL (run by another party than the server's operator). With
   * `server`, contributions are secure-aggregation reports secret-shared between the server's
   * leader and this helper; without it, LDP reports go to the server alone. Only tasks that name
   * exactly this helper get a report.
   */
  readonly helper?: string;
  /**
   * Base URL of the model directory (default: `models/` next to the widget's `hearth/` folder,
   * the layout `npm run build` writes; relative URLs resolve against the page).
   */
  readonly models?: string;
  /** Base URL of ONNX Runtime's `.wasm`/`.mjs` files (default: `ort/` next to `hearth/`). */
  readonly wasm?: string;
  /** URL of the engine worker script (default: the worker bundled with the widget). */
  readonly worker?: string | URL;
  /**
   * Catalog images: `{ mode: 'cached' }` (default; fetched at catalog sync for a fixed set that
   * does not depend on the visitor, with caps), `'none'`, or `'direct'` (cards load image URLs
   * from their host, which learns what was recommended). Set the element's `images` attribute to
   * the same mode when the page calls `init` itself.
   */
  readonly images?: ImageOptions;
  /**
   * The site's wording: any of the visitor-facing texts (`DEFAULT_STRINGS`, docs/widget.md), for
   * every element of the page; an element's own `strings` override these.
   */
  readonly strings?: Partial<HearthStrings>;
}

/** What `hearth:catalog` (and the `catalog` event of `Hearth`) carries. */
export interface CatalogReportDetail {
  /** The catalog URL the report is about. */
  readonly url: string;
  readonly report: CatalogReport;
}

/** Outcome of initialisation. */
export interface InitResult {
  readonly items: number;
  readonly catalogVersion: string;
  readonly encoderVersion: string;
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
    /** Called with the report of every catalog parse (first load and background syncs). */
    onCatalogReport?: (detail: CatalogReportDetail) => void,
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
   * Contributes now instead of at its random time (only with consent and a server): with a
   * helper, the DAP reports of `contribute`; otherwise takes part in the current federated round
   * (trains on this device's events and uploads a clipped, locally noised update).
   */
  train(): Promise<TrainingOutcome>;
  /**
   * Makes this device's secure-aggregation (DAP) reports now instead of at their random time
   * (only with consent, a server and a helper): one per open task and window.
   */
  contribute(): Promise<ContributionOutcome>;
  dispose(): void;
}
