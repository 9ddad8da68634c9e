/**
 * Catalog sync: fetch (with `?since=<content hash>` when the catalog came from a
 * `{ version, items }` server), classify the body, parse, and apply atomically through
 * `apply.ts`. Nothing the server chose (ETag, version string) is ever sent back: only the content
 * hash this client computed (`content-hash.ts`). Failures never throw and never touch the active
 * catalog: they come back as `{ ok: false, error }` with the state unchanged.
 */
import { catalogDeltaEnvelopeSchema } from '../protocol/catalog.ts';
import { isQuotaError } from '../store/errors.ts';
import {
  type ApplyContext,
  applyDelta,
  applyFull,
  type CatalogSource,
  type CatalogState,
} from './apply.ts';
import type { CatalogError, LoadOptions, SyncOptions, SyncResult } from './catalog.api.ts';
import { catalogItemsHash, deltaChainHash } from './content-hash.ts';
import { textHash } from './embed-text.ts';
import { CatalogEmptyError, CatalogParseError, CatalogSyncError } from './errors.ts';
import { type FetchFn, fetchCatalog } from './fetch-catalog.ts';
import { type CatalogParseResult, parseCatalogRecords, parseCatalogText } from './parse.ts';
import { report } from './progress.ts';
import { parseReport } from './report.ts';

/** The state after a sync step and what to tell the caller. */
export interface SyncStep {
  readonly state: CatalogState;
  readonly result: SyncResult;
}

/** Classifies any error of a sync or load for the caller. */
export function toCatalogError(error: unknown): CatalogError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CatalogSyncError)
    return { kind: error.kind, message, httpStatus: error.httpStatus };
  if (isQuotaError(error)) return { kind: 'quota', message, httpStatus: null };
  if (error instanceof CatalogParseError || error instanceof CatalogEmptyError) {
    return { kind: 'invalid', message, httpStatus: null };
  }
  return { kind: 'internal', message, httpStatus: null };
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

function unchanged(state: CatalogState): SyncStep {
  const result: SyncResult = {
    ok: true,
    outcome: 'not-modified',
    kind: 'none',
    version: state.pointer?.version ?? null,
    count: state.items.size,
    embedded: 0,
    resumed: false,
    report: null,
  };
  return { state, result };
}

async function failure(
  ctx: ApplyContext,
  state: CatalogState,
  error: unknown,
  parsed: CatalogParseResult | null,
): Promise<SyncStep> {
  // A quota failure leaves a partial staging generation: free its space now.
  if (isQuotaError(error)) await ctx.store.discardStaging().catch(() => undefined);
  const result: SyncResult = {
    ok: false,
    error: toCatalogError(error),
    version: state.pointer?.version ?? null,
    count: state.items.size,
    report: parsed ? parseReport(parsed) : null,
  };
  return { state, result };
}

/** Applies a parsed full catalog atomically and reports progress. */
async function applyParsed(
  ctx: ApplyContext,
  state: CatalogState,
  parsed: CatalogParseResult,
  source: CatalogSource,
): Promise<SyncStep> {
  const n = parsed.items.length;
  report(ctx.onProgress, { phase: 'parse', total: n, parsed: n, embedded: 0, stored: 0 });
  const out = await applyFull(ctx, state, parsed.items, source);
  const count = out.state.items.size;
  report(ctx.onProgress, {
    phase: 'done',
    total: count,
    parsed: count,
    embedded: out.embedded,
    stored: count,
  });
  const result: SyncResult = {
    ok: true,
    outcome: 'updated',
    kind: 'full',
    version: source.version,
    count,
    embedded: out.embedded,
    resumed: out.resumed,
    report: parseReport(parsed),
  };
  return { state: out.state, result };
}

/** The ETag's value without quotes or a weak prefix (`W/"x"` → `x`), or null. */
function etagValue(etag: string | null): string | null {
  const match = etag === null ? null : /^(?:W\/)?"?([^"]*)"?$/.exec(etag.trim());
  return match?.[1] ?? null;
}

/** Fetches a catalog URL and applies what it returns (full or delta); see the module summary. */
export async function syncCatalog(
  fetchFn: FetchFn,
  ctx: ApplyContext,
  state: CatalogState,
  url: string,
  options: SyncOptions = {},
): Promise<SyncStep> {
  const pointer = state.pointer;
  const sameSource = !options.full && pointer !== null && pointer.url === url;
  // Pointers stored before v4 have no content hash (only a server ETag, never read): full sync.
  const since = sameSource ? (pointer.contentHash ?? null) : null;
  report(ctx.onProgress, { phase: 'fetch', total: 0, parsed: 0, embedded: 0, stored: 0 });
  let parsed: CatalogParseResult | null = null;
  try {
    const fetched = await fetchCatalog(fetchFn, url, {
      since,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    if (fetched.kind === 'not-modified') return unchanged(state);
    const delta = readDelta(fetched.text);
    if (
      delta !== null &&
      pointer !== null &&
      since !== null &&
      (delta.since === undefined || delta.since === since)
    ) {
      const contentHash = await deltaChainHash(since, delta.upserts, delta.deletions);
      // A Hearth server names the resulting hash in its ETag; a mismatch means the two sides
      // disagree about the catalog, so take the full one rather than drift.
      const claimed = etagValue(fetched.etag);
      if (claimed !== null && claimed !== '' && claimed !== contentHash)
        return syncCatalog(fetchFn, ctx, state, url, { ...options, full: true });
      parsed = parseCatalogRecords(delta.upserts, { allowEmpty: true });
      const source = { version: delta.version, contentHash, url, sourceHash: null };
      const out = await applyDelta(ctx, state, parsed.items, delta.deletions, source);
      const count = out.state.items.size;
      const stored = parsed.items.length;
      report(ctx.onProgress, {
        phase: 'done',
        total: count,
        parsed: stored,
        embedded: out.embedded,
        stored,
      });
      const result: SyncResult = {
        ok: true,
        outcome: 'updated',
        kind: 'delta',
        version: delta.version,
        count,
        embedded: out.embedded,
        resumed: false,
        report: parseReport(parsed),
      };
      return { state: out.state, result };
    }
    if (delta !== null && options.full) {
      throw new CatalogParseError(
        `${url} sent a delta to a request for the full catalog; the server must answer a request without 'since' with { version, items }.`,
      );
    }
    if (delta !== null) return syncCatalog(fetchFn, ctx, state, url, { ...options, full: true });
    const sourceHash = textHash(fetched.text);
    if (pointer !== null && pointer.url === url && pointer.sourceHash === sourceHash)
      return unchanged(state);
    parsed = parseCatalogText(fetched.text);
    const contentHash =
      parsed.envelopeItems === undefined ? null : await catalogItemsHash(parsed.envelopeItems);
    const version = parsed.version ?? `sha-${sourceHash}`;
    return await applyParsed(ctx, state, parsed, { version, contentHash, url, sourceHash });
  } catch (error) {
    return failure(ctx, state, error, parsed);
  }
}

/** Applies a catalog given as text or records (no network); same result shape as a sync. */
export async function loadCatalog(
  ctx: ApplyContext,
  state: CatalogState,
  input: string | readonly unknown[],
  options: LoadOptions = {},
): Promise<SyncStep> {
  let parsed: CatalogParseResult | null = null;
  try {
    const text = typeof input === 'string' ? input : null;
    parsed =
      text !== null
        ? parseCatalogText(text, { format: options.format })
        : parseCatalogRecords(input as readonly unknown[]);
    const sourceHash = textHash(text ?? JSON.stringify(input));
    const version = options.version ?? parsed.version ?? `sha-${sourceHash}`;
    return await applyParsed(ctx, state, parsed, {
      version,
      contentHash: null,
      url: null,
      sourceHash,
    });
  } catch (error) {
    return failure(ctx, state, error, parsed);
  }
}
