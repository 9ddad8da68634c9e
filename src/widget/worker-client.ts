/** HearthClient over a comlink-wrapped engine worker. */
import * as Comlink from 'comlink';
import type { SyncResult } from '../catalog/catalog.api.ts';
import type { SyncProgress } from '../catalog/progress.ts';
import { HearthWorkerError, WIDGET_MESSAGES } from './errors.ts';
import type { HearthClient, HearthConfig, LedgerView, Progress, Recommendation } from './types.ts';
import type { TrainingOutcome } from '../worker/privacy-part.ts';
import type { EngineWorkerApi } from '../worker/engine-worker.api.ts';

type NestedRemote = {
  readonly [K in keyof EngineWorkerApi]-?: NonNullable<EngineWorkerApi[K]> & Comlink.ProxyMarked;
};

const NO_LEDGER: LedgerView = {
  consent: false,
  rows: [],
  dailyEpsilon: 0,
  lifetimeEpsilon: 0,
  caps: { dailyEpsilon: 8, lifetimeEpsilon: 64 },
};

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

/** Wraps a started worker; `terminate` is called on dispose. */
export function createWorkerClient(worker: Worker): HearthClient {
  // Comlink proxies nested paths at run time; the ProxyMarked types tell TypeScript so.
  const remote = Comlink.wrap<NestedRemote>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      reject(new HearthWorkerError(WIDGET_MESSAGES.workerFailed(event.message || 'script error')));
    });
  });
  failed.catch(() => {}); // observed through race() below; never an unhandled rejection
  const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  return {
    async init(config: HearthConfig, onProgress, onCatalogUpdated) {
      const url = new URL(config.catalog, document.baseURI).href;
      const sync = () =>
        race<SyncResult>(
          remote.catalog.sync(
            url,
            {},
            Comlink.proxy((p: SyncProgress) => onProgress(toProgress(p))),
          ),
        );
      const stored = await race(remote.catalog.status());
      if (stored.state === 'ready' && stored.count > 0 && stored.url === url) {
        // Warm start: recommend from the stored catalog now, refresh it in the background.
        sync()
          .then((r) => {
            if (r.ok && r.outcome === 'updated') onCatalogUpdated?.();
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
    async recommend(request) {
      const results = await race(
        remote.engine.recommend({ limit: request.limit, prompt: request.prompt }),
      );
      const items = await race(remote.catalog.getItems(results.map((r) => r.itemId)));
      const recs: Recommendation[] = [];
      results.forEach((r, i) => {
        const item = items[i];
        if (item !== null && item !== undefined) {
          recs.push({ item, score: r.score, reason: r.reason, explanation: r.explanation });
        }
      });
      return recs;
    },
    track: (event) =>
      race(
        remote.engine.track({ kind: event.kind, itemId: event.itemId, at: event.at ?? Date.now() }),
      ),
    item: async (id) => (await race(remote.catalog.getItems([id])))[0] ?? undefined,
    forget: () => race(remote.engine.forget()),
    async ledger() {
      try {
        return await race(remote.privacy.ledger());
      } catch {
        return NO_LEDGER; // this worker has no privacy part: nothing can leave, nothing to show
      }
    },
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
    async flush() {
      try {
        return await race(remote.privacy.flush());
      } catch {
        return 0; // no privacy part: nothing is ever sent
      }
    },
    async train() {
      try {
        return await race<TrainingOutcome>(remote.privacy.train());
      } catch (error) {
        return { kind: 'skipped', reason: (error as Error).message };
      }
    },
    dispose() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/**
 * The worker's URL with the config's `models`, `wasm` and `server` URLs as absolute query parameters
 * (the worker reads them, see `workers/engine.worker.ts`); other parameters are kept.
 */
export function workerUrl(
  worker: string | URL,
  config: Pick<HearthConfig, 'models' | 'wasm' | 'server'>,
  base: string = document.baseURI,
): URL {
  const url = new URL(worker, base);
  if (config.models !== undefined)
    url.searchParams.set('models', new URL(config.models, base).href);
  if (config.wasm !== undefined) url.searchParams.set('wasm', new URL(config.wasm, base).href);
  if (config.server !== undefined)
    url.searchParams.set('server', new URL(config.server, base).href);
  return url;
}

/** Starts a module worker from a URL (the config's `worker`), or throws a HearthWorkerError. */
export function startWorker(url: string | URL): Worker {
  try {
    return new Worker(url, { type: 'module', name: 'hearth-engine' });
  } catch (error) {
    throw new HearthWorkerError(
      WIDGET_MESSAGES.workerFailed(error instanceof Error ? error.message : String(error)),
    );
  }
}
