/** An HTTP error with a wire error code, an actionable message and optional per-check reasons. */
import type { ErrorBody, ErrorCode } from '../protocol/errors.ts';

/** Thrown by handlers; the app turns it into `{ error: { code, message, reasons } }`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 415 | 429 | 503 | 507,
    readonly code: ErrorCode,
    message: string,
    readonly reasons?: string[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  /** The JSON body sent to the client. */
  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.reasons ? { reasons: this.reasons } : {}),
      },
    };
  }
}

/** The 413 `too_large` error for a body over `limit` bytes. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'too_large', `body exceeds the limit of ${limit} bytes.`);
}

/** Maps SQLite lock/full errors to 503/507; returns null for anything else. */
export function databaseError(error: unknown): HttpError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new HttpError(
      503,
      'unavailable',
      'the database is locked by another writer; retry shortly.',
      undefined,
      {
        'retry-after': '1',
      },
    );
  }
  if (code === 'SQLITE_FULL') {
    return new HttpError(
      507,
      'unavailable',
      'the database is full; the operator must free disk space. Nothing was stored.',
      undefined,
      {
        'retry-after': '60',
      },
    );
  }
  return null;
}
