/**
 * DAP-09 error answers: RFC 9457 problem documents (`application/problem+json`) whose `type` is
 * a DAP error URN and which carry the task id as `taskid` (base64url) whenever the task is known.
 * `@divviup/dap`'s client turns only such documents into a DAPError (and needs `taskid` to do so),
 * and retries with fresh keys on `outdatedConfig`. Also the bearer-token guard between the
 * aggregators, which answers `unauthorizedRequest`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { DapTaskIdSchema } from '../../protocol/dap.ts';
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import { databaseError, HttpError } from '../http-error.ts';

/** The DAP-09 error types (§3.2). */
export type DapProblemType =
  | 'invalidMessage'
  | 'unrecognizedTask'
  | 'unrecognizedAggregationJob'
  | 'outdatedConfig'
  | 'reportRejected'
  | 'reportTooEarly'
  | 'batchInvalid'
  | 'invalidBatchSize'
  | 'batchQueriedTooManyTimes'
  | 'batchMismatch'
  | 'unauthorizedRequest'
  | 'missingTaskID'
  | 'stepMismatch'
  | 'batchOverlap';

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 507;

/** A DAP error: its type, HTTP status, an actionable detail and the task it concerns. */
export class DapProblem extends Error {
  override readonly name = 'DapProblem';
  constructor(
    readonly type: DapProblemType | null,
    readonly status: Status,
    detail: string,
    readonly taskId: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  /** The problem document (a type outside DAP's registry is `about:blank`, as RFC 9457 says). */
  body() {
    return {
      type: this.type === null ? 'about:blank' : `urn:ietf:params:ppm:dap:error:${this.type}`,
      title: this.type ?? `HTTP ${this.status}`,
      status: this.status,
      detail: this.message,
      ...(this.taskId === null ? {} : { taskid: this.taskId }),
    };
  }
}

/** The task id of a DAP request (path `/tasks/{id}/…` or `?task_id=`), when it is well formed. */
function requestTaskId(c: Context): string | null {
  const fromPath = /\/tasks\/([^/]+)/.exec(c.req.path)?.[1] ?? c.req.query('task_id');
  return fromPath !== undefined && DapTaskIdSchema.safeParse(fromPath).success ? fromPath : null;
}

/** The Response for a problem. */
export function problemResponse(problem: DapProblem): Response {
  return new Response(JSON.stringify(problem.body()), {
    status: problem.status,
    headers: { 'content-type': DAP_MEDIA.problem, ...problem.headers },
  });
}

/**
 * The DAP routes' error handler: DapProblems as they are; Hearth's HttpErrors (body limits, rate
 * limits) and database faults as problem documents of the nearest DAP type, with the task id.
 */
export function dapErrorHandler(options: { onError?: (e: unknown) => void } = {}): ErrorHandler {
  return function handleDapError(error, c) {
    if (error instanceof DapProblem)
      return problemResponse(
        error.taskId === null
          ? new DapProblem(error.type, error.status, error.message, requestTaskId(c), error.headers)
          : error,
      );
    const http = error instanceof HttpError ? error : databaseError(error);
    if (http !== null) {
      const type =
        http.status === 401 ? 'unauthorizedRequest' : http.status < 429 ? 'invalidMessage' : null;
      return problemResponse(
        new DapProblem(type, http.status, http.message, requestTaskId(c), http.headers ?? {}),
      );
    }
    options.onError?.(error);
    return problemResponse(
      new DapProblem(null, 500, 'internal error; see the server log.', requestTaskId(c)),
    );
  };
}

/** Shortest token the aggregators accept between themselves (≥ 192 bits of a base64 secret). */
export const MIN_PEER_TOKEN_LENGTH = 32;

/** Middleware: the request must bear `Authorization: Bearer <token>` (constant-time compare). */
export function requirePeer(token: string): MiddlewareHandler {
  const expected = Buffer.from(token);
  return async function requirePeerMiddleware(c, next) {
    const given = Buffer.from(/^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '');
    if (
      expected.length === 0 ||
      given.length !== expected.length ||
      !timingSafeEqual(given, expected)
    )
      throw new DapProblem(
        'unauthorizedRequest',
        401,
        'missing or wrong aggregator token: send Authorization: Bearer <HEARTH_PEER_TOKEN>, the secret both aggregators are started with.',
        null,
        { 'www-authenticate': 'Bearer' },
      );
    await next();
  };
}
