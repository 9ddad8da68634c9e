import type { FetchFn, FetchPurpose } from '../../src/catalog/fetch-catalog.ts';
import { type CatalogService, createCatalogService } from '../../src/catalog/service.ts';
import type { Encoder } from '../../src/encoder/types.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';

let counter = 0;
/** A database name no other test uses. */
export function freshDbName(prefix = 'hearth-test'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Wraps the fake encoder and records every text it embeds. */
export function countingEncoder(dims = 32, version = 'fake-v1'): Encoder & { texts: string[] } {
  const inner = createFakeEncoder(dims, version);
  const texts: string[] = [];
  return {
    info: inner.info,
    texts,
    embed: async (batch) => {
      texts.push(...batch);
      return inner.embed(batch);
    },
    embedDetailed: (batch) => inner.embedDetailed(batch),
    dispose: () => inner.dispose(),
  };
}

/** One scripted HTTP answer. */
export interface FakeAnswer {
  readonly status: number;
  readonly body?: string;
  readonly etag?: string;
  readonly contentType?: string;
  /** Body bytes for `blob()` (default: the UTF-8 of `body`). */
  readonly bytes?: Uint8Array<ArrayBuffer>;
  readonly contentLength?: number;
}

/** A fake response's headers: ETag, content type and length from a scripted answer. */
function fakeHeaders(a: FakeAnswer): { get(name: string): string | null } {
  const values: Record<string, string | undefined> = {
    etag: a.etag,
    'content-type': a.contentType,
    'content-length': a.contentLength === undefined ? undefined : String(a.contentLength),
  };
  return { get: (name: string) => values[name.toLowerCase()] ?? null };
}

/** A fake fetch that answers from a script and records each request's URL and headers. */
export function scriptedFetch(
  answer: (url: string, headers: Record<string, string>) => FakeAnswer | 'offline' | 'hang',
) {
  const calls: { url: string; headers: Record<string, string>; purpose: FetchPurpose }[] = [];
  const fetch: FetchFn = async (url, init) => {
    calls.push({ url, headers: init.headers, purpose: init.purpose });
    const a = answer(url, init.headers);
    if (a === 'offline') throw new TypeError('Failed to fetch');
    if (a === 'hang') {
      return new Promise((_, reject) => {
        init.signal.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        );
      });
    }
    const bytes = a.bytes ?? new TextEncoder().encode(a.body ?? '');
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      headers: fakeHeaders(a),
      text: async () => a.body ?? '',
      blob: async () => new Blob([bytes], { type: a.contentType ?? '' }),
    };
  };
  return { fetch, calls };
}

/** A small catalog of books with distinct vocabulary. */
export function books(
  n = 6,
): { id: string; title: string; description: string; category: string; available?: boolean }[] {
  const topics = [
    'whales sea ocean',
    'dragons magic castle',
    'space rockets stars',
    'cooking bread kitchen',
    'gardening roses soil',
    'detective murder clue',
  ];
  return Array.from({ length: n }, (_, i) => ({
    id: `b${i}`,
    title: `Book ${i} about ${topics[i % topics.length]!.split(' ')[0]}`,
    description: `A story of ${topics[i % topics.length]}.`,
    category: i % 2 === 0 ? 'fiction' : 'nonfiction',
    available: i !== 3,
  }));
}

/**
 * Catalog services created by a test file, closed together in its `afterEach`
 * (`afterEach(tracker.closeAll)`), so no IndexedDB connection outlives its test.
 */
export function serviceTracker(): {
  service: (options: Parameters<typeof createCatalogService>[0]) => CatalogService;
  closeAll: () => Promise<void>;
  /** Drops services the test already closed itself, so closeAll skips them. */
  release: () => void;
} {
  const open: CatalogService[] = [];
  return {
    service(options) {
      const s = createCatalogService(options);
      open.push(s);
      return s;
    },
    async closeAll() {
      for (const s of open.splice(0)) await s.close();
    },
    release() {
      open.length = 0;
    },
  };
}
