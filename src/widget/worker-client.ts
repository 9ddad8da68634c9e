/** HearthClient over a comlink-wrapped engine worker. */
import * as Comlink from 'comlink';
import { HearthWorkerError, WIDGET_MESSAGES } from './errors.ts';
import type { HearthClient, HearthConfig, Recommendation } from './types.ts';
import type { EngineWorkerApi } from './worker-protocol.ts';

type NestedRemote = {
  readonly [K in keyof EngineWorkerApi]: EngineWorkerApi[K] & Comlink.ProxyMarked;
};

/** Where models and ONNX Runtime files are served from when the config does not say. */
export const DEFAULT_MODELS_URL = '/models/';
export const DEFAULT_WASM_URL = '/ort/';

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
  const abs = (url: string) => new URL(url, document.baseURI).href;
  return {
    async init(config: HearthConfig, onProgress) {
      const result = await race(
        remote.catalog.sync(
          {
            catalogUrl: abs(config.catalog),
            serverUrl: config.server === undefined ? undefined : abs(config.server),
            modelsUrl: abs(config.models ?? DEFAULT_MODELS_URL),
            wasmUrl: abs(config.wasm ?? DEFAULT_WASM_URL),
          },
          Comlink.proxy(onProgress),
        ),
      );
      onProgress({ stage: 'ready', done: result.items, total: result.items });
      return {
        items: result.items,
        catalogVersion: result.version,
        encoderVersion: result.encoderVersion,
      };
    },
    async recommend(request) {
      const results = await race(
        remote.engine.recommend({
          ...request,
          exclude: request.exclude ? [...request.exclude] : undefined,
        }),
      );
      const items = await race(remote.catalog.items(results.map((r) => r.itemId)));
      const recs: Recommendation[] = [];
      results.forEach((r, i) => {
        const item = items[i];
        if (item !== undefined)
          recs.push({ item, score: r.score, reason: r.reason, explanation: r.explanation });
      });
      return recs;
    },
    track: (event) =>
      race(
        remote.engine.track({ kind: event.kind, itemId: event.itemId, at: event.at ?? Date.now() }),
      ),
    item: async (id) => (await race(remote.catalog.items([id])))[0],
    forget: () => race(remote.engine.forget()),
    ledger: () => race(remote.engine.ledger()),
    storage: () => race(remote.catalog.stats()),
    setConsent: (on) => race(remote.engine.setConsent(on)),
    dispose() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
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
