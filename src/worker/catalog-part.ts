/**
 * The catalog API as exposed over comlink: the same calls as the service, with vector blocks
 * returned as transferables so that their buffers move instead of being copied.
 */
import { type ProxyMarked, proxy, transfer } from 'comlink';
import type { CatalogApi, VectorBlock } from '../catalog/catalog.api.ts';

function moved(block: VectorBlock): VectorBlock {
  return transfer(block, [block.data.buffer as ArrayBuffer]);
}

/** The exposed catalog; proxy-marked so that `Remote<{ catalog }>` types its calls as remote calls. */
export type CatalogWorkerApi = CatalogApi & ProxyMarked;

/** Wraps a catalog service for `Comlink.expose` (only the `CatalogApi` surface crosses). */
export function catalogWorkerApi(service: CatalogApi): CatalogWorkerApi {
  return proxy({
    sync: (url, options, onProgress) => service.sync(url, options, onProgress),
    load: (input, options, onProgress) => service.load(input, options, onProgress),
    status: () => service.status(),
    search: (query) => service.search(query),
    getItems: (ids) => service.getItems(ids),
    count: () => service.count(),
    getVectors: async (ids) => moved(await service.getVectors(ids)),
    embed: async (texts) => moved(await service.embed(texts)),
    clear: () => service.clear(),
  });
}
