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
