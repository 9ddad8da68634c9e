/**
 * What the widget needs from the engine worker (`workers/engine.worker.ts`, comlink `expose` of
 * `{ catalog, engine }`): the catalog and engine APIs as their owners define them, plus an
 * optional `privacy` part for the ledger. Only this file and worker-client.ts know that shape.
 */

import type { CatalogApi } from '../catalog/catalog.api.ts';
import type { EngineApi } from '../engine/engine.api.ts';
import type { LedgerView } from '../widget/types.ts';
import type { TrainingOutcome } from './privacy-part.ts';

/** The privacy part the panel reads, when the worker exposes it. */
export interface PrivacyRemote {
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

/** The subset of the catalog API the widget calls. */
export type CatalogRemote = Pick<CatalogApi, 'sync' | 'getItems' | 'count' | 'status'>;

/** The subset of the engine API the widget calls. */
export type EngineRemote = Pick<EngineApi, 'track' | 'recommend' | 'events' | 'forget'>;

/** The object the worker exposes. */
export interface EngineWorkerApi {
  readonly catalog: CatalogRemote;
  readonly engine: EngineRemote;
  readonly privacy?: PrivacyRemote;
}
