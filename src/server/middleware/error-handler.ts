/**
 * The app's error and not-found answers, so that every failure reaches the client as
 * `{ error: { code, message, reasons? } }` (src/protocol/errors.ts) and nothing else leaks.
 */
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { databaseError, HttpError } from '../http-error.ts';

const INTERNAL = 'internal error; see the server log.';

/** Options: where unexpected errors (anything but an HttpError or a database fault) are reported. */
export interface ErrorHandlerOptions {
  readonly onError?: (error: unknown) => void;
}

/** Returns the handler that turns thrown errors into wire error bodies (500 for the unexpected). */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  return function handleError(error, c) {
    const http = error instanceof HttpError ? error : databaseError(error);
    if (http !== null) {
      for (const [k, v] of Object.entries(http.headers ?? {})) c.header(k, v);
      return c.json(http.body(), http.status);
    }
    options.onError?.(error);
    return c.json({ error: { code: 'internal' as const, message: INTERNAL } }, 500);
  };
}

/** Returns the handler answering 404 `not_found` with the method and path that matched nothing. */
export function notFound(): NotFoundHandler {
  return function handleNotFound(c) {
    return c.json(
      { error: { code: 'not_found' as const, message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    );
  };
}
