/**
 * Model files over HTTP (browser and worker), through an injected fetch: in the engine worker the
 * privacy gate's download, so every file is a ledger row. Each file is fetched once: the bytes
 * read to verify the manifest's sha256 are kept and answer `exists`, and `cache` hands them to
 * transformers.js (as its `env.customCache`), which therefore loads exactly the bytes that were
 * verified and fetches nothing of them again.
 */
import type { ModelFiles } from './manifest.ts';

/** A fetch as the encoder uses it (in the worker, the privacy gate's download). */
export type EncoderFetch = (
  input: string | URL,
  init?: { readonly method?: string; readonly headers?: HeadersInit },
) => Promise<Response>;

/** transformers.js's custom cache (`match` and `put` of the Web Cache API it calls). */
export interface VerifiedFileCache {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

/** HTTP model files plus the cache that serves what was read to transformers.js. */
export type HttpModelFiles = ModelFiles & {
  exists(path: string): Promise<boolean>;
  /** Serves the files already read (by absolute URL or by path under the model's base). */
  readonly cache: VerifiedFileCache;
};

/**
 * Model files under `baseUrl` (absolute, ending in the model's folder) read through `fetchFn`;
 * `fix` is what messages tell a site owner to do about a missing file. This module is a separate
 * chunk of the engine worker and must import no value from it: the chunk would load the worker's
 * entry a second time (without its URL parameters) and expose a second engine.
 */
export function httpModelFiles(
  baseUrl: string,
  fetchFn: EncoderFetch,
  fix?: string,
): HttpModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = (path: string) => new URL(path, base).href;
  const read = new Map<string, Uint8Array<ArrayBuffer>>();
  return {
    location: baseUrl,
    ...(fix !== undefined ? { fix } : {}),
    async read(path) {
      const known = read.get(url(path));
      if (known !== undefined) return known;
      const response = await fetchFn(url(path));
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`GET ${url(path)} answered ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      read.set(url(path), bytes);
      return bytes;
    },
    async exists(path) {
      if (read.has(url(path))) return true;
      const response = await fetchFn(url(path), { method: 'HEAD' });
      return response.ok;
    },
    cache: {
      // transformers.js asks by its local path ("/models/<name>/config.json", resolved like a
      // URL against the worker) and then by its remote URL; only files read here are answered.
      async match(request) {
        let key: string;
        try {
          key = new URL(request, base).href;
        } catch {
          return undefined;
        }
        const bytes = read.get(key);
        return bytes === undefined ? undefined : new Response(bytes.slice());
      },
      async put() {
        // Nothing to keep: what transformers.js fetched itself was recorded by the gate already.
      },
    },
  };
}
