/**
 * What the widget needs from the engine worker (`workers/engine.worker.ts`, comlink `expose` of
 * `{ catalog, engine }`): the catalog and engine APIs as their owners define them, plus an
 * optional `privacy` part for the ledger. Only this file and worker-client.ts know that shape.
 */
import type { CatalogApi } from '../catalog/catalog.api.ts';
import type { EngineApi } from '../engine/engine.api.ts';
import type { LedgerView } from './types.ts';

/** The privacy part the panel reads, when the worker exposes it. */
export interface PrivacyRemote {
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
  /** Sends queued telemetry now (with consent); resolves to the number of reports sent. */
  flush(): Promise<number>;
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
