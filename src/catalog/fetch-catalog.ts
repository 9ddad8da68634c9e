/**
 * The network half of a sync: a GET with a timeout, classified into not-modified, a body, or a
 * `CatalogSyncError`. The only value it ever sends back is the client's own content hash of the
 * catalog it holds (`?since=<hash>` and `If-None-Match: "<hash>"`, see `content-hash.ts`); a
 * server's ETag or version string is never replayed, so a server cannot plant an identifier.
 */
import { isContentHash } from './content-hash.ts';
import { CatalogSyncError } from './errors.ts';

/** What a Hearth download is for (lets an injected fetch describe it, e.g. in the ledger). */
export type FetchPurpose = 'catalog' | 'image';

/**
 * The subset of `fetch` a sync needs (injected; the worker passes one that goes through the
 * privacy gate's `download`, tests pass a fake). A `Response` satisfies the result type.
 */
export type FetchFn = (
  url: string,
  init: {
    headers: Record<string, string>;
    signal: AbortSignal;
    readonly purpose: FetchPurpose;
  },
) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  blob(): Promise<Blob>;
}>;

/** What a catalog request returned. */
export type FetchOutcome =
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'body';
      readonly text: string;
      /** The response's ETag: read only to check a delta, never stored or sent back. */
      readonly etag: string | null;
      readonly asDelta: boolean;
    };

/** Options of one request. */
export interface FetchCatalogOptions {
  /**
   * The content hash of the catalog this client holds from this URL (its own computation), sent
   * as `?since=` and `If-None-Match`; anything not in the content-hash format is not sent.
   */
  readonly since: string | null;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Adds `since=<content hash>` to a URL (absolute, or relative to the page/worker location). */
export function withSince(url: string, since: string | null): string {
  if (since === null) return url;
  const base =
    (globalThis as { location?: { href?: string } }).location?.href ?? 'http://localhost/';
  const absolute = new URL(url, base);
  absolute.searchParams.set('since', since);
  return /^[a-z][a-z0-9+.-]*:/i.test(url)
    ? absolute.href
    : `${absolute.pathname}${absolute.search}`;
}

async function request(
  fetchFn: FetchFn,
  url: string,
  options: FetchCatalogOptions,
  since: string | null,
): Promise<FetchOutcome | { kind: 'gone' }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort);
  const headers: Record<string, string> = {
    accept: 'application/json, application/x-ndjson, text/csv;q=0.9, */*;q=0.5',
  };
  if (since !== null) headers['if-none-match'] = `"${since}"`;
  try {
    const response = await fetchFn(withSince(url, since), {
      headers,
      signal: controller.signal,
      purpose: 'catalog',
    });
    if (response.status === 304) return { kind: 'not-modified' };
    if (response.status === 410 && since !== null) return { kind: 'gone' };
    if (!response.ok) {
      throw new CatalogSyncError(
        `Catalog request to ${url} failed with HTTP ${response.status}; the last good catalog is kept. Check the catalog URL and the server.`,
        'http',
        response.status,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (/^\s*text\/html\b/i.test(type)) {
      // Dev servers and SPA hosts answer unknown paths with their index page (HTTP 200).
      throw new CatalogSyncError(
        `Catalog request to ${url} answered an HTML page (HTTP ${response.status}, content-type ${type}), not a catalog; the URL probably does not exist on that server. Point it at a JSON, JSON Lines or CSV catalog.`,
        'http',
        response.status,
      );
    }
    const text = await response.text();
    return { kind: 'body', text, etag: response.headers.get('etag'), asDelta: since !== null };
  } catch (error) {
    if (error instanceof CatalogSyncError) throw error;
    if (timedOut || (error as { name?: string }).name === 'TimeoutError') {
      throw new CatalogSyncError(
        `Catalog request to ${url} timed out after ${options.timeoutMs} ms; the last good catalog is kept.`,
        'timeout',
      );
    }
    if (options.signal?.aborted)
      throw new CatalogSyncError('Catalog sync was cancelled.', 'aborted');
    const detail = error instanceof Error ? error.message : String(error);
    throw new CatalogSyncError(
      `Catalog request to ${url} failed (${detail}); offline? The last good catalog is kept and used.`,
      'offline',
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Fetches a catalog; a `since` request answered 410 Gone falls back to the full catalog. */
export async function fetchCatalog(
  fetchFn: FetchFn,
  url: string,
  options: FetchCatalogOptions,
): Promise<FetchOutcome> {
  const since = isContentHash(options.since) ? options.since : null;
  const first = await request(fetchFn, url, options, since);
  if (first.kind !== 'gone') return first;
  return (await request(fetchFn, url, options, null)) as FetchOutcome;
}
