/**
 * Pieces both aggregators' DAP routes share: the task lookup that answers `unrecognizedTask`,
 * the exact media-type check, the HPKE configuration endpoint and a per-key queue that runs one
 * batch update at a time (a task's accumulated share is read, extended and written back).
 */
import type { Context } from 'hono';
import { DAP_MEDIA, encodeHpkeConfigList } from '../../wire/dap/upload.ts';
import type { HpkeKeypair } from './hpke.ts';
import { DapProblem } from './problem.ts';
import type { HeldTask, TaskRegistry } from './tasks.ts';

/** Clock skew allowed on report times by default: DAP-09 suggests a few minutes at most. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The task of a request, or an `unrecognizedTask` problem. */
export function taskOf(tasks: TaskRegistry, id: string): HeldTask {
  const task = tasks.get(id);
  if (task === null)
    throw new DapProblem(
      'unrecognizedTask',
      400,
      `this aggregator holds no task ${id}; the task list is at GET /v1/dap/tasks on the leader.`,
      null,
    );
  return task;
}

/** Throws `invalidMessage` (415) unless the body's media type is exactly `type`. */
export function expectMediaType(c: Context, type: string): void {
  const given = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (given !== type)
    throw new DapProblem(
      'invalidMessage',
      415,
      `expected content-type ${type}, got '${given || 'none'}'.`,
    );
}

/**
 * GET /hpke_config: this aggregator's HpkeConfigList with the exact media type (the client library
 * compares it verbatim) and a day of caching. An unknown `task_id` is `unrecognizedTask`; without
 * one the same configuration is served (one key for every task).
 */
export function hpkeConfigResponse(c: Context, tasks: TaskRegistry, key: HpkeKeypair): Response {
  const taskId = c.req.query('task_id');
  if (taskId !== undefined) taskOf(tasks, taskId);
  return new Response(encodeHpkeConfigList([key.config]), {
    status: 200,
    headers: { 'content-type': DAP_MEDIA.hpkeConfigList, 'cache-control': 'max-age=86400' },
  });
}

/** Runs async functions one at a time per key (in call order). */
export function serialByKey() {
  const tails = new Map<string, Promise<unknown>>();
  return function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

/** Bytes as a Response body (a fresh ArrayBuffer-backed copy when needed). */
export function binary(bytes: Uint8Array, status: 200 | 201, type: string): Response {
  return new Response(new Uint8Array(bytes), { status, headers: { 'content-type': type } });
}

/** A base64url id of 1–64 characters (aggregation and collection job ids), or `invalidMessage`. */
export function jobIdOf(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new DapProblem('invalidMessage', 400, `job id '${id.slice(0, 80)}' is not base64url.`);
  return id;
}
