/**
 * Per-connection token-bucket rate limiting. The bucket is keyed by the TCP socket object (held
 * in a WeakMap, so it disappears with the connection): no IP address is read or stored.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from '../http-error.ts';

/** Options: sustained requests per second, burst size, how to find the connection, the clock. */
export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  /** Connection identity; default the Node socket under @hono/node-server. */
  readonly connection?: (c: Context) => object;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

// Requests made with `app.request()` have no socket: they share one bucket.
const IN_PROCESS = {};

/** The Node socket of the request (under @hono/node-server), or one shared in-process key. */
export function socketConnection(c: Context): object {
  const env = c.env as { incoming?: { socket?: object } } | undefined;
  return env?.incoming?.socket ?? IN_PROCESS;
}

/** Returns middleware answering 429 (with Retry-After) when a connection exceeds its budget. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const connection = options.connection ?? socketConnection;
  const now = options.now ?? Date.now;
  const buckets = new WeakMap<object, Bucket>();
  return async function rateLimitMiddleware(c, next) {
    const key = connection(c);
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
        `too many requests on this connection; retry in ${wait} s.`,
        undefined,
        {
          'retry-after': String(wait),
        },
      );
    }
    bucket.tokens -= 1;
    await next();
  };
}
