/**
 * The engine worker: catalog (and, next to it, the engine) exposed over comlink. No logic here.
 * Optional worker URL parameters: `db` (IndexedDB name) and `model` (encoder model name).
 */
import { expose } from 'comlink';
import { createCatalogService } from '../src/catalog/service.ts';
import { type CatalogWorkerApi, catalogWorkerApi } from '../src/catalog/worker-api.ts';
import { createEncoder } from '../src/encoder/index.ts';

const params = new URL(self.location.href).searchParams;
const catalog = createCatalogService({
  encoder: createEncoder({ model: params.get('model') ?? undefined }),
  dbName: params.get('db') ?? undefined,
});

/** What the page gets from `Comlink.wrap<EngineWorkerApi>(worker)`. */
export interface EngineWorkerApi {
  readonly catalog: CatalogWorkerApi;
}

const api: EngineWorkerApi = { catalog: catalogWorkerApi(catalog) };
expose(api);
