/**
 * The catalog service that runs in the engine worker: owns the store, the in-memory items,
 * vectors, index and cached images, and implements `CatalogApi`. The engine, in the same worker,
 * reads the index and items synchronously through `getIndex`, `getItem` and `allItems`, and the
 * worker attaches each recommended item's cached image with `cachedImage`.
 */
import type { Encoder } from '../encoder/types.ts';
import { ANONYMOUS_REQUEST } from '../privacy/gate.ts';
import type { CatalogItem } from '../protocol/catalog.ts';
import type { VectorIndex } from '../search/vector-index.ts';
import { CatalogStore } from '../store/catalog-store.ts';
import { ImageStore } from '../store/image-store.ts';
import { requestPersistentStorage } from '../store/persist.ts';
import { HEARTH_DB_NAME, reopeningHearthDB, type StoredItem } from '../store/schema.ts';
import { type ApplyContext, buildIndex, type CatalogState, ensureVectors } from './apply.ts';
import type {
  CatalogApi,
  CatalogError,
  CatalogHit,
  CatalogStatus,
  ImageOptions,
  LoadOptions,
  SearchQuery,
  SyncResult,
  VectorBlock,
} from './catalog.api.ts';
import type { FetchFn } from './fetch-catalog.ts';
import { IMAGE_DEFAULTS, imageBase, imagesToCache, syncImages } from './images.ts';
import type { ProgressListener } from './progress.ts';
import { httpUrl } from './sanitize.ts';
import { loadCatalog, syncCatalog, toCatalogError } from './sync.ts';

/** Options of `createCatalogService`. */
export interface CatalogServiceOptions {
  readonly encoder: Encoder | Promise<Encoder>;
  /** IndexedDB name (default `hearth`). */
  readonly dbName?: string;
  /**
   * Injected fetch for the catalog and its images (default: `globalThis.fetch`, anonymous). The
   * worker passes one that goes through the privacy gate's `download` (recorded at ε 0).
   */
  readonly fetch?: FetchFn;
  readonly now?: () => number;
  /** Items per embed call and per staging transaction (default 256). */
  readonly batchSize?: number;
}

/** The service: the comlink API plus synchronous access for the engine in the same worker. */
export interface CatalogService extends CatalogApi {
  /** Resolves once the stored catalog is loaded and indexed. */
  ready(): Promise<void>;
  /** The current index (empty until ready; replaced, never mutated, by each sync). */
  getIndex(): VectorIndex;
  getItem(id: string): CatalogItem | undefined;
  allItems(): IterableIterator<CatalogItem>;
  /** The encoder key (`id@version`) the vectors belong to, once ready. */
  modelKey(): string | null;
  /** The item's image from the device's cache (never fetched here), or undefined. */
  cachedImage(item: CatalogItem): Blob | undefined;
  /** Drops the cached images held in memory (after "Forget me" deleted their store). */
  forgetImages(): void;
  close(): Promise<void>;
}

function publicItem(stored: StoredItem): CatalogItem {
  const { gen: _gen, textHash: _hash, ...item } = stored;
  return item;
}

/** Creates the catalog service; loading starts at once, calls wait for it. */
export function createCatalogService(options: CatalogServiceOptions): CatalogService {
  const fetchFn: FetchFn =
    options.fetch ?? ((url, init) => globalThis.fetch(url, { ...init, ...ANONYMOUS_REQUEST }));
  const now = options.now ?? Date.now;
  let state: CatalogState = {
    pointer: null,
    items: new Map(),
    vectors: new Map(),
    index: buildIndex([], new Map(), 1),
  };
  let phase: CatalogStatus['state'] = 'loading';
  let persisted: boolean | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let currentModel: string | null = null;
  let lastAttempt: CatalogStatus['lastAttempt'] = null;
  let images = new Map<string, Blob>();

  // "Forget me" deletes the database under this connection: the stores then reopen a fresh one
  // instead of failing with "The database connection is closing".
  const connection = reopeningHearthDB(options.dbName ?? HEARTH_DB_NAME);
  let open: { db: unknown; store: CatalogStore; imageStore: ImageStore } | null = null;
  const stores = async () => {
    const db = await connection();
    if (open?.db !== db) open = { db, store: new CatalogStore(db), imageStore: new ImageStore(db) };
    return open;
  };

  const init = (async () => {
    const [{ store, imageStore }, encoder] = await Promise.all([stores(), options.encoder]);
    const model = `${encoder.info.id}@${encoder.info.version}`;
    const ctx = async (onProgress?: ProgressListener): Promise<ApplyContext> => ({
      store: (await stores()).store,
      model,
      dims: encoder.info.dims,
      now,
      batchSize: options.batchSize ?? 256,
      embed: (texts) => encoder.embed(texts),
      onProgress,
    });
    const loaded = await store.load(model);
    images = new Map((await imageStore.all()).map((r) => [r.url, r.blob]));
    const attempt = await store.lastAttempt();
    if (attempt !== null) {
      const error: CatalogError | null = attempt.ok
        ? null
        : {
            kind: (attempt.errorKind ?? 'internal') as CatalogError['kind'],
            message: attempt.message ?? '',
            httpStatus: attempt.httpStatus,
          };
      lastAttempt = { at: attempt.at, ok: attempt.ok, error };
    }
    const items = new Map(loaded.items.map((item) => [item.id, item]));
    state = {
      ...loaded,
      items,
      index: buildIndex(items.values(), loaded.vectors, encoder.info.dims),
    };
    state = (await ensureVectors(await ctx(), state)).state;
    persisted = await requestPersistentStorage();
    phase = state.items.size > 0 ? 'ready' : 'empty';
    currentModel = model;
    return { encoder, model, ctx };
  })();
  init.catch((error: unknown) => {
    phase = 'unavailable';
    lastAttempt = { at: now(), ok: false, error: toCatalogError(error) };
  });

  /** Runs catalog mutations one at a time. */
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Brings the image cache in line with the catalog after a successful sync or load. */
  const refreshImages = async (
    result: SyncResult,
    opts: ImageOptions = {},
  ): Promise<SyncResult> => {
    if (!result.ok) return result;
    await init;
    const { imageStore } = await stores();
    const caps = { ...IMAGE_DEFAULTS, ...opts };
    const wanted =
      caps.mode === 'cached'
        ? imagesToCache(state.items.values(), imageBase(state.pointer?.url ?? null), caps.maxCount)
        : [];
    try {
      const out = await syncImages(
        { fetch: fetchFn, store: imageStore, now },
        images,
        wanted,
        caps,
      );
      images = out.images;
      return { ...result, images: out.report };
    } catch {
      return result; // images are best effort (e.g. a full store); the catalog is in place
    }
  };

  const finish = async (result: SyncResult): Promise<SyncResult> => {
    await init;
    const { store } = await stores();
    phase = state.items.size > 0 ? 'ready' : 'empty';
    const error = result.ok ? null : result.error;
    lastAttempt = { at: now(), ok: result.ok, error };
    try {
      await store.recordAttempt({
        at: lastAttempt.at,
        ok: result.ok,
        errorKind: error?.kind ?? null,
        message: error?.message ?? null,
        httpStatus: error?.httpStatus ?? null,
      });
    } catch {
      // Recording the attempt is best effort (the store may be full).
    }
    return result;
  };

  const service: CatalogService = {
    ready: async () => {
      await init;
    },
    getIndex: () => state.index,
    getItem: (id) => state.items.get(id),
    allItems: () => state.items.values(),
    modelKey: () => currentModel,
    cachedImage: (item) => {
      const url = httpUrl(item.image, imageBase(state.pointer?.url ?? null));
      return url === undefined ? undefined : images.get(url);
    },
    forgetImages: () => {
      images = new Map();
    },
    sync: (url, opts = {}, onProgress) =>
      exclusive(async () => {
        const { ctx } = await init;
        phase = 'syncing';
        const step = await syncCatalog(fetchFn, await ctx(onProgress), state, url, opts);
        state = step.state;
        return finish(await refreshImages(step.result, opts.images));
      }),
    load: (input, opts: LoadOptions = {}, onProgress) =>
      exclusive(async () => {
        const { ctx } = await init;
        phase = 'syncing';
        const step = await loadCatalog(await ctx(onProgress), state, input, opts);
        state = step.state;
        return finish(await refreshImages(step.result, opts.images));
      }),
    status: async () => {
      const { model, encoder } = await init.catch(() => ({ model: null, encoder: null }));
      const store = model === null ? null : (await stores()).store;
      const staging = store ? await store.staging() : null;
      const pointer = state.pointer;
      return {
        state: phase,
        count: state.items.size,
        indexed: state.index.size,
        version: pointer?.version ?? null,
        url: pointer?.url ?? null,
        appliedAt: pointer?.appliedAt ?? null,
        lastAttempt,
        model: model && encoder ? { key: model, dims: encoder.info.dims } : null,
        resumable: staging !== null,
        persisted,
      };
    },
    search: async (query: SearchQuery): Promise<CatalogHit[]> => {
      const { encoder } = await init;
      let vector = query.vector;
      if (vector === undefined && query.text !== undefined)
        [vector] = await encoder.embed([query.text]);
      if (vector === undefined) return [];
      const hits = state.index.topK(vector, query.k ?? 20, query.filter ?? {});
      return hits.flatMap((hit) => {
        const item = state.items.get(hit.id);
        return item ? [{ id: hit.id, score: hit.score, item: publicItem(item) }] : [];
      });
    },
    getItems: async (ids) => {
      await init;
      return ids.map((id) => {
        const item = state.items.get(id);
        return item ? publicItem(item) : null;
      });
    },
    count: async () => {
      await init;
      return state.items.size;
    },
    getVectors: async (ids): Promise<VectorBlock> => {
      const { encoder } = await init;
      const dims = encoder.info.dims;
      const data = new Float32Array(ids.length * dims);
      ids.forEach((id, i) => {
        const item = state.items.get(id);
        const v = item ? state.vectors.get(item.textHash) : undefined;
        if (v) data.set(v, i * dims);
      });
      return { ids: [...ids], dims, data };
    },
    embed: async (texts): Promise<VectorBlock> => {
      const { encoder } = await init;
      const dims = encoder.info.dims;
      const vectors = await encoder.embed(texts);
      const data = new Float32Array(texts.length * dims);
      vectors.forEach((v, i) => {
        data.set(v, i * dims);
      });
      return { ids: texts.map((_, i) => String(i)), dims, data };
    },
    clear: () =>
      exclusive(async () => {
        const { encoder } = await init;
        const { store, imageStore } = await stores();
        await store.clear();
        await imageStore.delete(images.keys());
        images = new Map();
        state = {
          pointer: null,
          items: new Map(),
          vectors: new Map(),
          index: buildIndex([], new Map(), encoder.info.dims),
        };
        phase = 'empty';
      }),
    close: async () => {
      await init.catch(() => null);
      await queue;
      open?.store.db.close();
    },
  };
  return service;
}
