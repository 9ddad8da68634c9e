/**
 * What the widget needs from the engine worker (`workers/engine.worker.ts`, comlink `expose` of
 * `{ catalog, engine }`). The adapter in worker-client.ts maps this onto HearthClient; only this
 * file and that adapter change if the worker's surface changes.
 */
import type { CatalogItem } from '../protocol/catalog.ts';
import type { LedgerView, Progress, Reason, StorageStats, TrackEvent } from './types.ts';

/** Options the page passes to the worker when it starts a catalog sync. */
export interface SyncOptions {
  readonly catalogUrl: string;
  readonly serverUrl?: string;
  readonly modelsUrl: string;
  readonly wasmUrl: string;
}

/** What a sync reports when it is done. */
export interface SyncResult {
  readonly items: number;
  readonly version: string;
  readonly encoderVersion: string;
}

/** One result as the engine returns it (ids only; the widget joins the catalog item). */
export interface EngineResult {
  readonly itemId: string;
  readonly score: number;
  readonly reason: Reason;
  readonly explanation?: string;
}

/** The catalog half of the worker. */
export interface CatalogRemote {
  sync(options: SyncOptions, onProgress: (progress: Progress) => void): Promise<SyncResult>;
  items(ids: readonly string[]): Promise<(CatalogItem | undefined)[]>;
  stats(): Promise<StorageStats>;
}

/** The engine half of the worker. */
export interface EngineRemote {
  recommend(request: {
    limit: number;
    prompt?: string;
    exclude?: readonly string[];
  }): Promise<EngineResult[]>;
  track(event: Required<TrackEvent>): Promise<void>;
  forget(): Promise<void>;
  ledger(): Promise<LedgerView>;
  setConsent(on: boolean): Promise<void>;
}

/** The object the worker exposes. */
export interface EngineWorkerApi {
  readonly catalog: CatalogRemote;
  readonly engine: EngineRemote;
}
