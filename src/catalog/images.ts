/**
 * Catalog images cached on the device. A card that loaded its image from the image's host would
 * tell that host which items were recommended, a function of the visitor's history and prompt.
 * So at catalog sync the worker fetches a set of images that depends on the catalog alone (the
 * first `maxCount` distinct image URLs in catalog order), within caps on bytes per image, total
 * bytes and concurrency, accepting only image content types; recommendations then carry the
 * cached Blob and cards render only from it. Re-syncs fetch only URLs not cached yet and drop
 * the ones the catalog no longer names (an image that changes must change its URL).
 */
import type { CatalogItem } from '../protocol/catalog.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { ImageOptions, ImageSyncReport } from './catalog.api.ts';
import type { FetchFn } from './fetch-catalog.ts';
import { httpUrl } from './sanitize.ts';

/** Defaults of `ImageOptions`. */
export const IMAGE_DEFAULTS = {
  mode: 'cached',
  maxCount: 200,
  maxBytes: 256 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  concurrency: 4,
  timeoutMs: 15_000,
} as const satisfies Required<ImageOptions>;

/** Content types cached (an `<img>` renders them; SVG in `<img>` runs no script and loads nothing). */
const IMAGE_TYPE = /^image\/(png|jpeg|gif|webp|avif|svg\+xml)$/;

/** Failures listed in a report (the count is always complete). */
const MAX_FAILURES = 20;

/**
 * The base relative image URLs resolve against: the catalog's URL, or for a `blob:` catalog
 * (which cannot be a base) its origin.
 */
export function imageBase(catalogUrl: string | null): string {
  const here =
    (globalThis as { location?: { href?: string } }).location?.href ?? 'http://localhost/';
  if (catalogUrl === null) return here;
  return catalogUrl.startsWith('blob:') ? `${new URL(catalogUrl).origin}/` : catalogUrl;
}

/** The image URLs a sync caches: the first `maxCount` distinct ones in catalog order. */
export function imagesToCache(
  items: Iterable<Pick<CatalogItem, 'image'>>,
  base: string,
  maxCount: number,
): string[] {
  const urls = new Set<string>();
  for (const item of items) {
    if (urls.size >= maxCount) break;
    const url = httpUrl(item.image, base);
    if (url !== undefined) urls.add(url);
  }
  return [...urls];
}

/** Why an image was not kept. */
class ImageRejected extends Error {
  override readonly name = 'ImageRejected';
}

/** Fetches one image through the injected fetch and checks its type and size. */
async function fetchImage(
  fetchFn: FetchFn,
  url: string,
  caps: Required<ImageOptions>,
): Promise<Blob> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), caps.timeoutMs);
  try {
    const response = await fetchFn(url, {
      headers: { accept: 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8' },
      signal: controller.signal,
      purpose: 'image',
    });
    if (!response.ok) throw new ImageRejected(`HTTP ${response.status}`);
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type === undefined || !IMAGE_TYPE.test(type))
      throw new ImageRejected(`content type '${type ?? ''}' is not an image type Hearth caches`);
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > caps.maxBytes)
      throw new ImageRejected(`${declared} bytes is over the ${caps.maxBytes}-byte cap`);
    const blob = await response.blob();
    if (blob.size > caps.maxBytes)
      throw new ImageRejected(`${blob.size} bytes is over the ${caps.maxBytes}-byte cap`);
    return blob.type === type ? blob : new Blob([blob], { type });
  } catch (error) {
    if (controller.signal.aborted) throw new ImageRejected(`timed out after ${caps.timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** What an image sync needs. */
export interface ImageSyncContext {
  readonly fetch: FetchFn;
  readonly store: ImageStore;
  readonly now: () => number;
}

/**
 * Brings the cache to `wanted`: drops cached URLs not in it, then fetches the missing ones
 * (`concurrency` at a time, in order, until `maxTotalBytes` is reached). Returns the images now
 * cached (URL → Blob) and a report. Failures are reported, never thrown.
 */
export async function syncImages(
  ctx: ImageSyncContext,
  cached: ReadonlyMap<string, Blob>,
  wanted: readonly string[],
  options: ImageOptions = {},
): Promise<{ images: Map<string, Blob>; report: ImageSyncReport }> {
  const caps: Required<ImageOptions> = { ...IMAGE_DEFAULTS, ...options };
  const want = new Set(wanted);
  const stale = [...cached.keys()].filter((url) => !want.has(url));
  await ctx.store.delete(stale);
  const images = new Map<string, Blob>();
  let bytes = 0;
  for (const url of wanted) {
    const blob = cached.get(url);
    if (blob !== undefined) {
      images.set(url, blob);
      bytes += blob.size;
    }
  }
  const missing = wanted.filter((url) => !images.has(url));
  const failures: { url: string; reason: string }[] = [];
  let failed = 0;
  let fetched = 0;
  let next = 0;
  const fail = (url: string, reason: string) => {
    failed += 1;
    if (failures.length < MAX_FAILURES) failures.push({ url, reason });
  };
  const lane = async (): Promise<void> => {
    while (next < missing.length && bytes < caps.maxTotalBytes) {
      const url = missing[next++]!;
      try {
        const blob = await fetchImage(ctx.fetch, url, caps);
        if (bytes + blob.size > caps.maxTotalBytes) {
          fail(url, `the ${caps.maxTotalBytes}-byte total cap is reached`);
          continue;
        }
        bytes += blob.size; // reserved before the write, so that parallel lanes respect the cap
        try {
          await ctx.store.put({ url, blob, bytes: blob.size, fetchedAt: ctx.now() });
        } catch (error) {
          bytes -= blob.size;
          throw error;
        }
        images.set(url, blob);
        fetched += 1;
      } catch (error) {
        fail(url, error instanceof Error ? error.message : String(error));
      }
    }
  };
  const lanes = Math.max(1, Math.min(caps.concurrency, missing.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return {
    images,
    report: { cached: images.size, fetched, removed: stale.length, failed, bytes, failures },
  };
}
