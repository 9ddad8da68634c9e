/**
 * Body-size limit in the wire error shape. Hono's `bodyLimit` does the counting (declared
 * Content-Length and streamed bodies alike); this only makes it answer 413 `too_large`.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { tooLarge } from '../http-error.ts';

/** Options: the largest body accepted, in bytes. */
export interface BodySizeLimitOptions {
  readonly maxBytes: number;
}

/** Returns middleware that rejects a body over `maxBytes` with 413 `too_large`. */
export function bodySizeLimit(options: BodySizeLimitOptions): MiddlewareHandler {
  const inner = bodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw tooLarge(options.maxBytes);
    },
  });
  return function bodySizeLimitMiddleware(c, next) {
    return inner(c, next);
  };
}
