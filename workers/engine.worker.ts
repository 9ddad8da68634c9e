/**
 * The engine worker: catalog and engine exposed over comlink. No logic here.
 * Optional worker URL parameters: `db` (IndexedDB name), `model` (encoder model name),
 * `models` (model directory URL, default `/models/`), `wasm` (ONNX Runtime files, default `/ort/`).
 */
import { expose, proxy } from 'comlink';
import { createCatalogService } from '../src/catalog/service.ts';
import { type CatalogWorkerApi, catalogWorkerApi } from '../src/catalog/worker-api.ts';
import { createEncoder } from '../src/encoder/index.ts';
import { catalogEngineSource } from '../src/engine/catalog-adapter.ts';
import type { EngineApi } from '../src/engine/engine.api.ts';
import { fetchRanker } from '../src/engine/ranker-fetch.ts';
import { createEngineService } from '../src/engine/service.ts';

const params = new URL(self.location.href).searchParams;
const modelsUrl = params.get('models') ?? undefined;
const wasmPaths = params.get('wasm') ?? undefined;
const encoder = createEncoder({
  model: params.get('model') ?? undefined,
  modelsPath: modelsUrl,
  wasmPaths,
});
const catalog = createCatalogService({ encoder, dbName: params.get('db') ?? undefined });
const engine = Promise.all([encoder, fetchRanker({ modelsUrl, wasmPaths })]).then(([enc, ranker]) =>
  createEngineService({ catalog: catalogEngineSource(catalog), encoder: enc, ranker }),
);

/** What the page gets from `Comlink.wrap<EngineWorkerApi>(worker)`. */
export interface EngineWorkerApi {
  readonly catalog: CatalogWorkerApi;
  readonly engine: EngineApi;
}

const api: EngineWorkerApi = {
  catalog: catalogWorkerApi(catalog),
  engine: proxy({
    track: async (event) => (await engine).track(event),
    recommend: async (options) => (await engine).recommend(options),
    events: async () => (await engine).events(),
    setPopularity: async (counts) => (await engine).setPopularity(counts),
    forget: async () => (await engine).forget(),
  } satisfies EngineApi),
};
expose(api);
