/**
 * Per-client token-bucket rate limiting. The bucket is keyed by the client (its address, hashed:
 * see ../client-address.ts), so opening new connections does not refill it. In-process requests
 * (`app.request()`, no socket) share one bucket.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { DEFAULT_MAX_CLIENTS, LruMap } from '../client-quota.ts';
import { HttpError } from '../http-error.ts';

/** Options: sustained requests per second, burst size, how to identify the client, the clock. */
export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  /** The client's key; null (an in-process request) shares one bucket. */
  readonly client: (c: Context) => string | null;
  readonly now?: () => number;
  /** Buckets remembered at once (least recently used forgotten first). */
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

// Requests made with `app.request()` have no socket: they share one bucket.
const IN_PROCESS = '(in process)';

/** Returns middleware answering 429 (with Retry-After) when a client exceeds its budget. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const now = options.now ?? Date.now;
  const buckets = new LruMap<Bucket>(options.maxClients ?? DEFAULT_MAX_CLIENTS);
  return async function rateLimitMiddleware(c, next) {
    const key = options.client(c) ?? IN_PROCESS;
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + ((t - bucket.at) / 1000) * options.perSecond,
    );
    bucket.at = t;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const wait = Math.ceil((1 - bucket.tokens) / options.perSecond);
      throw new HttpError(
        429,
        'rate_limited',
        `too many requests from this address; retry in ${wait} s.`,
        undefined,
        { 'retry-after': String(wait) },
      );
    }
    bucket.tokens -= 1;
    await next();
  };
}
