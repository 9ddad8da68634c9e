/**
 * The catalog API as the page sees it through the engine worker (comlink). Every argument and
 * result is structured-clone friendly; vectors travel as transferable ArrayBuffers. A progress
 * listener is always a separate, last argument so that it can be passed over comlink wrapped
 * with `Comlink.proxy(fn)` (comlink proxies top-level arguments only).
 */

import type { CatalogItem } from '../protocol/catalog.ts';
import type { IndexFilter } from '../search/filter.ts';
import type { CatalogDuplicate, CatalogFormat, CatalogRejection, CatalogWarning } from './parse.ts';
import type { ProgressListener } from './progress.ts';

/** Why a sync or load failed. */
export type CatalogErrorKind =
  | 'offline'
  | 'http'
  | 'timeout'
  | 'aborted'
  | 'invalid'
  | 'quota'
  | 'internal';

/** A failure, readable by a person. */
export interface CatalogError {
  readonly kind: CatalogErrorKind;
  readonly message: string;
  readonly httpStatus: number | null;
}

/** Report of a parse that went into a sync or load (rejections capped at `MAX_REPORTED`). */
export interface ParseReport {
  readonly accepted: number;
  readonly rejected: number;
  /** Duplicate-id records (all of them; `duplicates` lists the first `MAX_REPORTED`). */
  readonly duplicated: number;
  /** Field warnings (all of them; `warnings` lists the first `MAX_REPORTED`). */
  readonly warned: number;
  readonly rejections: readonly CatalogRejection[];
  readonly duplicates: readonly CatalogDuplicate[];
  readonly warnings: readonly CatalogWarning[];
}

/**
 * How cards get their images. `cached` (default): the worker fetches a fixed set of the catalog's
 * images at sync (the same for every visitor) into IndexedDB and cards render only from there.
 * `none`: no images. `direct`: cards load each image URL from its host, which then learns what
 * was recommended to this visitor (a leak; an explicit opt-in).
 */
export type ImageMode = 'cached' | 'none' | 'direct';

/** What the site owner can set about catalog images (defaults in `IMAGE_DEFAULTS`). */
export interface ImageOptions {
  readonly mode?: ImageMode;
  /** Distinct image URLs cached, the first ones in catalog order (default 200). */
  readonly maxCount?: number;
  /** Largest image kept, in bytes (default 256 KiB). */
  readonly maxBytes?: number;
  /** Bytes of all cached images together (default 16 MiB). */
  readonly maxTotalBytes?: number;
  /** Image requests at once (default 4). */
  readonly concurrency?: number;
  /** Per-image timeout in ms (default 15 000). */
  readonly timeoutMs?: number;
}

/** What the image step of a sync did. */
export interface ImageSyncReport {
  /** Images cached on the device after this sync. */
  readonly cached: number;
  /** Fetched by this sync (new or changed URLs only). */
  readonly fetched: number;
  /** Dropped because the catalog no longer names them (or images are off). */
  readonly removed: number;
  /** Requests that failed or returned something that is not an image within the caps. */
  readonly failed: number;
  /** Bytes of every cached image. */
  readonly bytes: number;
  /** The first failures, each with its URL and reason. */
  readonly failures: readonly { readonly url: string; readonly reason: string }[];
}

/** Outcome of `sync` or `load`; a failure keeps the previous catalog (`count`, `version`). */
export type SyncResult =
  | {
      readonly ok: true;
      readonly outcome: 'updated' | 'not-modified';
      readonly kind: 'full' | 'delta' | 'none';
      readonly version: string | null;
      readonly count: number;
      /** Texts embedded by this sync (unchanged items are never re-embedded). */
      readonly embedded: number;
      /** True when an interrupted sync of the same body was resumed from its checkpoint. */
      readonly resumed: boolean;
      readonly report: ParseReport | null;
      /** The image step (absent when it did not run). */
      readonly images?: ImageSyncReport;
    }
  | {
      readonly ok: false;
      readonly error: CatalogError;
      readonly version: string | null;
      readonly count: number;
      readonly report: ParseReport | null;
    };

/** Where the catalog stands. */
export interface CatalogStatus {
  /** `unavailable`: the store or the encoder could not be opened (see `lastAttempt.error`). */
  readonly state: 'loading' | 'empty' | 'syncing' | 'ready' | 'unavailable';
  readonly count: number;
  /** Items with a vector for the current encoder (searchable). */
  readonly indexed: number;
  readonly version: string | null;
  readonly url: string | null;
  readonly appliedAt: number | null;
  /** The last sync attempt (null before the first). */
  readonly lastAttempt: {
    readonly at: number;
    readonly ok: boolean;
    readonly error: CatalogError | null;
  } | null;
  readonly model: { readonly key: string; readonly dims: number } | null;
  /** An interrupted full sync is waiting to be resumed. */
  readonly resumable: boolean;
  /** `navigator.storage.persisted()`, or null where it cannot be asked. */
  readonly persisted: boolean | null;
}

/** Options of `sync`. */
export interface SyncOptions {
  /** Abort the request after this many ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Send nothing back (no content hash) and fetch the full catalog. */
  readonly full?: boolean;
  /** Catalog images: cached on the device (default), none, or loaded directly by the page. */
  readonly images?: ImageOptions;
}

/** Options of `load`. */
export interface LoadOptions {
  readonly format?: CatalogFormat;
  readonly version?: string;
  /** Catalog images, as for `sync`; relative URLs resolve against the worker's location. */
  readonly images?: ImageOptions;
}

/** A search: by vector or by text (embedded in the worker), with filters. */
export interface SearchQuery {
  readonly vector?: Float32Array;
  readonly text?: string;
  /** Default 20. */
  readonly k?: number;
  readonly filter?: Omit<IndexFilter, 'predicate' | 'excludeIds'> & {
    readonly excludeIds?: readonly string[];
  };
}

/** One search result with its item. */
export interface CatalogHit {
  readonly id: string;
  readonly score: number;
  readonly item: CatalogItem;
}

/** Vectors for ids or texts, packed row after row in one transferable buffer. */
export interface VectorBlock {
  readonly ids: readonly string[];
  readonly dims: number;
  /** `ids.length × dims` floats; a row of zeros where an id has no vector. */
  readonly data: Float32Array;
}

/** What the catalog part of the engine worker offers. */
export interface CatalogApi {
  /**
   * Fetches the catalog URL (content-hash validators, deltas), applies it atomically, then caches
   * its images. Never throws for network errors.
   */
  sync(url: string, options?: SyncOptions, onProgress?: ProgressListener): Promise<SyncResult>;
  /** Applies a catalog given as text (JSON, JSON Lines, CSV) or as an array of records. */
  load(
    input: string | readonly unknown[],
    options?: LoadOptions,
    onProgress?: ProgressListener,
  ): Promise<SyncResult>;
  status(): Promise<CatalogStatus>;
  search(query: SearchQuery): Promise<CatalogHit[]>;
  /** Items in the order of `ids`; null where an id is unknown. */
  getItems(ids: readonly string[]): Promise<(CatalogItem | null)[]>;
  count(): Promise<number>;
  /** Stored vectors of items (transferable). */
  getVectors(ids: readonly string[]): Promise<VectorBlock>;
  /** Embeds texts with the worker's encoder (transferable); `ids` are the texts' indexes. */
  embed(texts: readonly string[]): Promise<VectorBlock>;
  /** Deletes the catalog (items, vectors, sync state) from this device. */
  clear(): Promise<void>;
}
