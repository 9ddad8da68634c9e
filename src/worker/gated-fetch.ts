/**
 * A fetch-shaped function over the privacy gate's `download`: what the worker hands to every
 * loader (catalog, encoder files, transformers.js, ranker, collab models, ONNX Runtime), so that
 * each of Hearth's requests is recorded in the ledger (ε 0, kind `download`) before it leaves and
 * carries the gate's anonymous options (no cookies, no referrer, no HTTP cache).
 */
import type { PrivacyGate } from '../privacy/gate.ts';

/** The part of a fetch `init` a download honours; the gate sets everything else. */
export interface WorkerFetchInit {
  readonly method?: string;
  readonly headers?: HeadersInit;
  readonly signal?: AbortSignal | null;
}

/** The fetch every worker loader takes (a subset of `fetch`, so tests can pass a fake). */
export type WorkerFetch = (input: string | URL, init?: WorkerFetchInit) => Promise<Response>;

/** Thrown for a request a download may not make (anything but GET or HEAD). */
export class DownloadMethodError extends Error {
  override readonly name = 'DownloadMethodError';
}

/** The URL as the ledger shows it: absolute (against the worker's own URL where there is one). */
function absolute(input: string | URL): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(input, base).href;
  } catch {
    return String(input); // no base to resolve a relative URL against (Node): keep it as given
  }
}

/** A WorkerFetch whose every call is `gate.download`, described in the ledger as `summary`. */
export function gatedFetch(gate: Pick<PrivacyGate, 'download'>, summary: string): WorkerFetch {
  return (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      return Promise.reject(
        new DownloadMethodError(
          `${method} ${String(input)}: a download is a GET or HEAD of public data; send what depends on the visitor with gate.send (consent and ledger).`,
        ),
      );
    }
    const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
    return gate.download({
      url: absolute(input),
      summary,
      method,
      headers,
      ...(init.signal ? { signal: init.signal } : {}),
    });
  };
}
