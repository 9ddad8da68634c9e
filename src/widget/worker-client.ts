/** HearthClient over a comlink-wrapped engine worker. */
import * as Comlink from 'comlink';
import type { SyncResult } from '../catalog/catalog.api.ts';
import type { SyncProgress } from '../catalog/progress.ts';
import { catalogReport } from '../catalog/report.ts';
import type {
  ContributionOutcome,
  EngineWorkerApi,
  TrainingOutcome,
} from '../worker/engine-worker.api.ts';
import { HearthWorkerError, WIDGET_MESSAGES } from './errors.ts';
import type { HearthClient, HearthConfig, Progress } from './types.ts';

/** Maps the catalog's sync phases onto the progress bar's stages. */
export function toProgress(p: SyncProgress): Progress {
  switch (p.phase) {
    case 'fetch':
    case 'parse':
      return { stage: 'catalog', done: p.parsed, total: p.total };
    case 'embed':
      return { stage: 'embedding', done: p.embedded, total: p.total };
    case 'store':
      return { stage: 'embedding', done: p.stored, total: p.total };
    case 'done':
      return { stage: 'ready', done: p.total, total: p.total };
    default: {
      const never: never = p.phase;
      return { stage: 'catalog', done: 0, total: Number(never) };
    }
  }
}

/** The worker's address for messages: without the query (the config parameters). */
function scriptOf(url: string | URL): string {
  const parsed = new URL(url, document.baseURI);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Wraps a started worker (started from `url`); `terminate` is called on dispose. */
export function createWorkerClient(worker: Worker, url: string | URL = ''): HearthClient {
  // Comlink proxies nested paths at run time; the contract's ProxyMarked parts tell TypeScript so.
  const remote = Comlink.wrap<EngineWorkerApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      reject(
        new HearthWorkerError(
          WIDGET_MESSAGES.workerFailed(event.message || 'script error', scriptOf(url)),
        ),
      );
    });
  });
  failed.catch(() => {}); // observed through race() below; never an unhandled rejection
  const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  return {
    async init(config: HearthConfig, onProgress, onCatalogUpdated, onCatalogReport) {
      const url = new URL(config.catalog, document.baseURI).href;
      const sync = async () => {
        const result = await race<SyncResult>(
          remote.catalog.sync(
            url,
            config.images === undefined ? {} : { images: config.images },
            Comlink.proxy((p: SyncProgress) => onProgress(toProgress(p))),
          ),
        );
        // Every parse reports to the site owner, a failed one too (e.g. no item was valid).
        if (result.report !== null)
          onCatalogReport?.({ url, report: catalogReport(result.report) });
        return result;
      };
      const stored = await race(remote.catalog.status());
      if (stored.state === 'ready' && stored.count > 0 && stored.url === url) {
        // Warm start: recommend from the stored catalog now, refresh it in the background.
        sync()
          .then((r) => {
            // A new catalog, or images newly cached: re-render the elements.
            if (r.ok && (r.outcome === 'updated' || (r.images?.fetched ?? 0) > 0))
              onCatalogUpdated?.();
          })
          .catch(() => undefined); // offline or failed: the stored catalog stays in use
        onProgress({ stage: 'ready', done: stored.count, total: stored.count });
        return {
          items: stored.count,
          catalogVersion: stored.version ?? '',
          encoderVersion: stored.model?.key ?? '',
        };
      }
      const result = await sync();
      // A failed sync keeps the last good catalog (offline): go on when one is there.
      if (!result.ok && result.count === 0) throw new HearthWorkerError(result.error.message);
      const status = await race(remote.catalog.status());
      onProgress({ stage: 'ready', done: result.count, total: result.count });
      return {
        items: result.count,
        catalogVersion: result.version ?? '',
        encoderVersion: status.model?.key ?? '',
      };
    },
    recommend: (request) => race(remote.engine.recommend(request)),
    track: (event) =>
      race(
        remote.engine.track({ kind: event.kind, itemId: event.itemId, at: event.at ?? Date.now() }),
      ),
    item: async (id) => (await race(remote.catalog.getItems([id])))[0] ?? undefined,
    forget: () => race(remote.engine.forget()),
    ledger: () => race(remote.privacy.ledger()),
    async storage() {
      const [events, items] = await Promise.all([
        race(remote.engine.events()),
        race(remote.catalog.count()),
      ]);
      const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
      return {
        stores: [
          {
            name: 'events',
            count: events.length,
            bytes: new TextEncoder().encode(JSON.stringify(events)).byteLength,
          },
          { name: 'catalog items', count: items, bytes: 0 },
        ],
        usageBytes: estimate?.usage,
      };
    },
    async setConsent(on) {
      await race(remote.privacy.setConsent(on));
    },
    flush: () => race(remote.privacy.flush()),
    train: () => race<TrainingOutcome>(remote.privacy.train()),
    contribute: () => race<ContributionOutcome>(remote.privacy.contribute()),
    dispose() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/**
 * The worker's URL with the config's `models`, `wasm`, `server` and `helper` URLs as absolute query
 * parameters
 * (the worker reads them, see `workers/engine.worker.ts`); other parameters are kept.
 */
export function workerUrl(
  worker: string | URL,
  config: Pick<HearthConfig, 'models' | 'wasm' | 'server' | 'helper'>,
  base: string = document.baseURI,
): URL {
  const url = new URL(worker, base);
  if (config.models !== undefined)
    url.searchParams.set('models', new URL(config.models, base).href);
  if (config.wasm !== undefined) url.searchParams.set('wasm', new URL(config.wasm, base).href);
  if (config.server !== undefined)
    url.searchParams.set('server', new URL(config.server, base).href);
  if (config.helper !== undefined)
    url.searchParams.set('helper', new URL(config.helper, base).href);
  return url;
}

/** Starts a module worker from a URL (the config's `worker`), or throws a HearthWorkerError. */
export function startWorker(url: string | URL): Worker {
  try {
    return new Worker(url, { type: 'module', name: 'hearth-engine' });
  } catch (error) {
    throw new HearthWorkerError(
      WIDGET_MESSAGES.workerFailed(
        error instanceof Error ? error.message : String(error),
        scriptOf(url),
      ),
    );
  }
}
