/**
 * The catalog service that runs in the engine worker: owns the store, the in-memory items,
 * vectors and index, and implements `CatalogApi`. The engine, in the same worker, reads the
 * index and items synchronously through `getIndex`, `getItem` and `allItems`.
 */
import type { Encoder } from '../encoder/types.ts';
import type { VectorIndex } from '../index/vector-index.ts';
import { type CatalogItem, catalogDeltaEnvelopeSchema } from '../protocol/catalog.ts';
import { CatalogStore } from '../store/catalog-store.ts';
import { isQuotaError } from '../store/errors.ts';
import { requestPersistentStorage } from '../store/persist.ts';
import {
  type CatalogPointer,
  HEARTH_DB_NAME,
  openHearthDB,
  type StoredItem,
} from '../store/schema.ts';
import {
  type ApplyContext,
  applyDelta,
  applyFull,
  buildIndex,
  type CatalogState,
  ensureVectors,
} from './apply.ts';
import type {
  CatalogApi,
  CatalogError,
  CatalogHit,
  CatalogStatus,
  LoadOptions,
  ParseReport,
  SearchQuery,
  SyncOptions,
  SyncResult,
  VectorBlock,
} from './catalog.api.ts';
import { textHash } from './embed-text.ts';
import { CatalogEmptyError, CatalogParseError, CatalogSyncError } from './errors.ts';
import { type FetchFn, fetchCatalog } from './fetch-catalog.ts';
import { type CatalogParseResult, parseCatalogRecords, parseCatalogText } from './parse.ts';
import { type ProgressListener, report } from './progress.ts';

/** Rejections, duplicates and warnings listed in a result (counts are always complete). */
export const MAX_REPORTED = 100;

/** Options of `createCatalogService`. */
export interface CatalogServiceOptions {
  readonly encoder: Encoder | Promise<Encoder>;
  /** IndexedDB name (default `hearth`). */
  readonly dbName?: string;
  /** Injected fetch (default `globalThis.fetch`). */
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
  close(): Promise<void>;
}

function publicItem(stored: StoredItem): CatalogItem {
  const { gen: _gen, textHash: _hash, ...item } = stored;
  return item;
}

function parseReport(parsed: CatalogParseResult): ParseReport {
  return {
    accepted: parsed.items.length,
    rejected: parsed.rejections.length,
    rejections: parsed.rejections.slice(0, MAX_REPORTED),
    duplicates: parsed.duplicates.slice(0, MAX_REPORTED),
    warnings: parsed.warnings.slice(0, MAX_REPORTED),
  };
}

function toCatalogError(error: unknown): CatalogError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CatalogSyncError)
    return { kind: error.kind, message, httpStatus: error.httpStatus };
  if (isQuotaError(error)) return { kind: 'quota', message, httpStatus: null };
  if (error instanceof CatalogParseError || error instanceof CatalogEmptyError) {
    return { kind: 'invalid', message, httpStatus: null };
  }
  return { kind: 'internal', message, httpStatus: null };
}

/** Creates the catalog service; loading starts at once, calls wait for it. */
export function createCatalogService(options: CatalogServiceOptions): CatalogService {
  const fetchFn: FetchFn = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
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

  const init = (async () => {
    const [db, encoder] = await Promise.all([
      openHearthDB(options.dbName ?? HEARTH_DB_NAME),
      options.encoder,
    ]);
    const store = new CatalogStore(db);
    const model = `${encoder.info.id}@${encoder.info.version}`;
    const ctx = (onProgress?: ProgressListener): ApplyContext => ({
      store,
      model,
      dims: encoder.info.dims,
      now,
      batchSize: options.batchSize ?? 256,
      embed: (texts) => encoder.embed(texts),
      onProgress,
    });
    const loaded = await store.load(model);
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
    state = (await ensureVectors(ctx(), state)).state;
    persisted = await requestPersistentStorage();
    phase = state.items.size > 0 ? 'ready' : 'empty';
    currentModel = model;
    return { store, encoder, model, ctx };
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

  const finish = async (result: SyncResult): Promise<SyncResult> => {
    const { store } = await init;
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

  const failed = async (error: unknown, parsed: CatalogParseResult | null): Promise<SyncResult> => {
    const { store } = await init;
    if (isQuotaError(error)) await store.discardStaging().catch(() => undefined);
    return finish({
      ok: false,
      error: toCatalogError(error),
      version: state.pointer?.version ?? null,
      count: state.items.size,
      report: parsed ? parseReport(parsed) : null,
    });
  };

  const applyParsed = async (
    parsed: CatalogParseResult,
    source: { version: string | null; etag: string | null; url: string | null; sourceHash: string },
    onProgress: ProgressListener | undefined,
  ): Promise<SyncResult> => {
    const { ctx } = await init;
    report(onProgress, {
      phase: 'parse',
      total: parsed.items.length,
      parsed: parsed.items.length,
      embedded: 0,
      stored: 0,
    });
    const out = await applyFull(ctx(onProgress), state, parsed.items, source);
    state = out.state;
    report(onProgress, {
      phase: 'done',
      total: state.items.size,
      parsed: state.items.size,
      embedded: out.embedded,
      stored: state.items.size,
    });
    return finish({
      ok: true,
      outcome: 'updated',
      kind: 'full',
      version: source.version,
      count: state.items.size,
      embedded: out.embedded,
      resumed: out.resumed,
      report: parseReport(parsed),
    });
  };

  const syncOnce = async (
    url: string,
    opts: SyncOptions,
    onProgress?: ProgressListener,
  ): Promise<SyncResult> => {
    const { ctx } = await init;
    phase = 'syncing';
    const pointer = state.pointer;
    const sameSource = !opts.full && pointer !== null && pointer.url === url;
    report(onProgress, { phase: 'fetch', total: 0, parsed: 0, embedded: 0, stored: 0 });
    let parsed: CatalogParseResult | null = null;
    try {
      const fetched = await fetchCatalog(fetchFn, url, {
        etag: sameSource ? pointer.etag : null,
        since:
          sameSource && pointer.version !== null && fromServer(pointer) ? pointer.version : null,
        timeoutMs: opts.timeoutMs ?? 30_000,
      });
      if (fetched.kind === 'not-modified') {
        return finish({
          ok: true,
          outcome: 'not-modified',
          kind: 'none',
          version: pointer?.version ?? null,
          count: state.items.size,
          embedded: 0,
          resumed: false,
          report: null,
        });
      }
      const delta = readDelta(fetched.text);
      if (
        delta !== null &&
        pointer !== null &&
        (delta.since === undefined || delta.since === pointer.version)
      ) {
        parsed = parseCatalogRecords(delta.upserts, { allowEmpty: true });
        const out = await applyDelta(ctx(onProgress), state, parsed.items, delta.deletions, {
          version: delta.version,
          etag: fetched.etag,
          url,
          sourceHash: null,
        });
        state = out.state;
        report(onProgress, {
          phase: 'done',
          total: state.items.size,
          parsed: parsed.items.length,
          embedded: out.embedded,
          stored: parsed.items.length,
        });
        return finish({
          ok: true,
          outcome: 'updated',
          kind: 'delta',
          version: delta.version,
          count: state.items.size,
          embedded: out.embedded,
          resumed: false,
          report: parseReport(parsed),
        });
      }
      if (delta !== null && opts.full) {
        throw new CatalogParseError(
          `${url} sent a delta to a request for the full catalog; the server must answer a request without 'since' with { version, items }.`,
        );
      }
      if (delta !== null) return syncOnce(url, { ...opts, full: true }, onProgress);
      const sourceHash = textHash(fetched.text);
      if (pointer !== null && pointer.url === url && pointer.sourceHash === sourceHash) {
        return finish({
          ok: true,
          outcome: 'not-modified',
          kind: 'none',
          version: pointer.version,
          count: state.items.size,
          embedded: 0,
          resumed: false,
          report: null,
        });
      }
      parsed = parseCatalogText(fetched.text);
      const version = parsed.version ?? fetched.etag ?? `sha-${sourceHash}`;
      return await applyParsed(
        parsed,
        { version, etag: fetched.etag, url, sourceHash },
        onProgress,
      );
    } catch (error) {
      return failed(error, parsed);
    }
  };

  const service: CatalogService = {
    ready: async () => {
      await init;
    },
    getIndex: () => state.index,
    getItem: (id) => state.items.get(id),
    allItems: () => state.items.values(),
    modelKey: () => currentModel,
    sync: (url, opts = {}, onProgress) => exclusive(() => syncOnce(url, opts, onProgress)),
    load: (input, opts: LoadOptions = {}, onProgress) =>
      exclusive(async () => {
        await init;
        phase = 'syncing';
        let parsed: CatalogParseResult | null = null;
        try {
          const text = typeof input === 'string' ? input : null;
          parsed =
            text !== null
              ? parseCatalogText(text, { format: opts.format })
              : parseCatalogRecords(input as readonly unknown[]);
          const sourceHash = textHash(text ?? JSON.stringify(input));
          const version = opts.version ?? parsed.version ?? `sha-${sourceHash}`;
          return await applyParsed(
            parsed,
            { version, etag: null, url: null, sourceHash },
            onProgress,
          );
        } catch (error) {
          return failed(error, parsed);
        }
      }),
    status: async () => {
      const { store, model, encoder } = await init.catch(() => ({
        store: null,
        model: null,
        encoder: null,
      }));
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
        const { store, encoder } = await init;
        await store.clear();
        state = {
          pointer: null,
          items: new Map(),
          vectors: new Map(),
          index: buildIndex([], new Map(), encoder.info.dims),
        };
        phase = 'empty';
      }),
    close: async () => {
      const ready = await init.catch(() => null);
      await queue;
      ready?.store.db.close();
    },
  };
  return service;
}

/**
 * True when the pointer's version was named by the server (a `{ version }` body), so a delta
 * `?since=` can be asked for; versions made up from an ETag or a body hash are not sent.
 */
function fromServer(pointer: CatalogPointer): boolean {
  return (
    pointer.version !== null &&
    pointer.version !== pointer.etag &&
    !pointer.version.startsWith('sha-')
  );
}

/** Reads a delta envelope from a body, or null when the body is not a delta. */
function readDelta(text: string) {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') || !trimmed.includes('"upserts"')) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('upserts' in value)) return null;
  const envelope = catalogDeltaEnvelopeSchema.safeParse(value);
  if (!envelope.success) {
    const first = envelope.error.issues[0];
    throw new CatalogParseError(
      `Catalog delta does not match { version, upserts, deletions }: ${first?.path.join('.') || '(body)'}: ${first?.message ?? 'invalid'}.`,
    );
  }
  return envelope.data;
}
