/**
 * Bearer-token guard for the operator's endpoints. The token is compared in constant time so
 * response timing does not reveal how much of a guess was right.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../http-error.ts';

const ADMIN_DISABLED =
  'admin endpoints are disabled; start the server with HEARTH_ADMIN_TOKEN set.';
const ADMIN_WRONG_TOKEN =
  'missing or wrong admin token; send Authorization: Bearer <HEARTH_ADMIN_TOKEN>.';

/** Shortest admin token the command-line servers accept (≥ 192 bits of a base64 secret). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** An admin token too short to resist guessing; the message names the variable and the fix. */
export class AdminTokenError extends Error {
  override readonly name = 'AdminTokenError';
}

/**
 * Throws AdminTokenError unless `token` has at least 32 characters. `variable` names where the
 * token came from, for the message (one line: what is wrong and how to fix it).
 */
export function checkAdminToken(token: string, variable: string): void {
  if (token.length >= MIN_ADMIN_TOKEN_LENGTH) return;
  throw new AdminTokenError(
    `${variable} is ${token.length} characters long; it must have at least ${MIN_ADMIN_TOKEN_LENGTH}: set it to a random secret, e.g. ${variable}=$(openssl rand -base64 32), or unset it to disable the admin endpoints.`,
  );
}

/** Options: the expected token; absent or empty disables the guarded endpoints (always 401). */
export interface RequireAdminOptions {
  readonly token: string | undefined;
}

/** Returns middleware answering 401 `unauthorized` unless the request bears the admin token. */
export function requireAdmin(options: RequireAdminOptions): MiddlewareHandler {
  const expected = options.token;
  return async function requireAdminMiddleware(c, next) {
    if (expected === undefined || expected === '') {
      throw new HttpError(401, 'unauthorized', ADMIN_DISABLED);
    }
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      c.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', ADMIN_WRONG_TOKEN);
    }
    await next();
  };
}
