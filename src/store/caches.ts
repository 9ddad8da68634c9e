/**
 * Hearth's Cache Storage ("Forget me"): the service worker (`public/sw.js`) names every cache it
 * makes `hearth-v<N>-…`, and transformers.js (the encoder) keeps the model files it loaded in
 * `transformers-cache`; deleting those removes every cache of Hearth's, and nothing of the
 * site's own. Cache Storage is reachable from the page and from the engine worker alike.
 */

/** The prefix of every Cache Storage name Hearth's service worker uses (see `public/sw.js`). */
export const HEARTH_CACHE_PREFIX = 'hearth-';

/** transformers.js's default `env.cacheKey`: the encoder's model files, cached by the library. */
const LIBRARY_CACHES = new Set(['transformers-cache']);

/** True for a Cache Storage name Hearth (or a library it runs) made. */
export function isHearthCacheName(name: string): boolean {
  return name.startsWith(HEARTH_CACHE_PREFIX) || LIBRARY_CACHES.has(name);
}

/**
 * Deletes every Hearth cache on this origin; returns the names deleted. Where Cache Storage does
 * not exist (Node, an insecure context) there is nothing to delete.
 */
export async function deleteHearthCaches(
  storage: CacheStorage | undefined = (globalThis as { caches?: CacheStorage }).caches,
): Promise<string[]> {
  if (storage === undefined) return [];
  const names = (await storage.keys()).filter(isHearthCacheName);
  await Promise.all(names.map((name) => storage.delete(name)));
  return names;
}
