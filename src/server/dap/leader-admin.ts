/**
 * The leader's task routes under /v1: the public list of open tasks clients read
 * (`GET /v1/dap/tasks`), the operator's task publication (`PUT /v1/admin/dap/tasks`: checked with
 * `checkDapTask`, a fresh verify key drawn, the task given to the helper first and stored here
 * after), the collection that releases and publishes a closed window (`POST /v1/admin/dap/collect`,
 * a DAP-09 collector run in process against this leader's own DAP routes) and the counters
 * (`GET /v1/admin/dap/tasks/{id}/stats`).
 */
import { randomBytes } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { checkDapTask } from '../../privacy/dap-accounting.ts';
import {
  DAP_TASK_VERSION,
  DapTaskIdSchema,
  type DapTaskList,
  DapTaskSchema,
} from '../../protocol/dap.ts';
import { base64url } from '../../wire/dap/tls.ts';
import { encodeHpkeConfig } from '../../wire/dap/upload.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import { parseOrReject, readJson } from '../read-body.ts';
import type { ServerStorage } from '../storage.ts';
import { CollectError, collect } from './collector.ts';
import type { HelperClient } from './helper-client.ts';
import type { HpkeKeypair } from './hpke.ts';
import { publishResult } from './publish.ts';
import { taskStats } from './stats.ts';
import type { DapStorage } from './storage.ts';
import { closesAt, type TaskRegistry } from './tasks.ts';

/** A task document is at most a catalog's ids: 100,000 × ~256 bytes. */
const TASK_BYTES = 32 * 1024 * 1024;

/** Open tasks listed at most (the schema's bound). */
const MAX_LISTED = 64;

const CollectRequestSchema = z.strictObject({ taskId: DapTaskIdSchema });

/** What the task routes need. */
export interface LeaderAdminDeps {
  readonly storage: DapStorage;
  readonly server: ServerStorage;
  readonly tasks: TaskRegistry;
  readonly helper: HelperClient;
  readonly collectorKey: HpkeKeypair;
  readonly admin: MiddlewareHandler;
  /** The token the in-process collector presents to the collection routes. */
  readonly adminToken: string | undefined;
  /** The leader's DAP sub-app (the in-process collector requests it directly). */
  readonly dap: Hono;
  readonly now: () => number;
}

/** Builds the /v1 task routes. */
export function leaderAdminRoutes(deps: LeaderAdminDeps): Hono {
  const { storage, tasks, now } = deps;
  const app = new Hono();

  app.get('/dap/tasks', (c) => {
    const open = tasks
      .all()
      .filter((t) => !tasks.isClosed(t.id) && closesAt(t) > now())
      .slice(-MAX_LISTED);
    const body: DapTaskList = { v: DAP_TASK_VERSION, tasks: open.map((t) => t.doc) };
    return c.json(body);
  });

  app.put('/admin/dap/tasks', deps.admin, bodySizeLimit({ maxBytes: TASK_BYTES }), async (c) => {
    const doc = parseOrReject(DapTaskSchema, await readJson(c), 'task rejected');
    try {
      checkDapTask(doc);
    } catch (error) {
      throw new HttpError(400, 'invalid', error instanceof Error ? error.message : String(error));
    }
    const body = JSON.stringify(doc);
    const held = tasks.get(doc.id);
    if (held !== null) {
      if (held.body === body) return c.json({ id: doc.id, created: false }, 200);
      throw new HttpError(
        409,
        'stale_version',
        `task ${doc.id} exists with other parameters; publish changed parameters under a new task id (tasks are versioned, never edited).`,
      );
    }
    // DAP-09 leaves the verify key to the operator: the leader draws one per task and gives it to
    // the helper with the task, over the authenticated aggregator link. Clients never see it.
    const verifyKey = new Uint8Array(randomBytes(16));
    const collectorConfig = encodeHpkeConfig(deps.collectorKey.config);
    try {
      await deps.helper.call(
        'PUT',
        `hearth/tasks/${doc.id}`,
        JSON.stringify({
          task: doc,
          verifyKey: base64url(verifyKey),
          collectorConfig: base64url(collectorConfig),
        }),
        'application/json',
      );
    } catch (error) {
      throw new HttpError(
        503,
        'unavailable',
        `the helper did not take task ${doc.id}, so the leader did not either: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    storage.transaction(() => tasks.add({ id: doc.id, body, verifyKey, collectorConfig }, now()));
    return c.json({ id: doc.id, created: true }, 201);
  });

  app.post('/admin/dap/collect', deps.admin, bodySizeLimit({ maxBytes: 4096 }), async (c) => {
    const { taskId } = parseOrReject(CollectRequestSchema, await readJson(c), 'collect rejected');
    const task = tasks.get(taskId);
    if (task === null) throw new HttpError(404, 'not_found', `the leader holds no task ${taskId}.`);
    const previous = storage.result(taskId);
    if (previous !== null) {
      const summary = JSON.parse(previous.body) as { summary: object };
      return c.json({ ...summary.summary, fresh: false });
    }
    let collected: Awaited<ReturnType<typeof collect>>;
    try {
      collected = await collect(
        {
          leaderUrl: 'http://leader.internal/dap/',
          token: deps.adminToken ?? '',
          key: deps.collectorKey,
          // In process the poll costs nothing: look often instead of the Retry-After second.
          maxPollMs: 25,
          fetch: async (url, init) => {
            const u = new URL(url);
            return deps.dap.request(`${u.pathname.slice('/dap'.length)}${u.search}`, init);
          },
        },
        task,
      );
    } catch (error) {
      if (error instanceof CollectError) throw new HttpError(409, 'invalid', error.message);
      throw error;
    }
    const summary = publishResult(
      { dap: storage, server: deps.server, now },
      task.doc,
      collected.reportCount,
      collected.sum.map(Number),
    );
    return c.json(summary);
  });

  app.get('/admin/dap/tasks/:taskId/stats', deps.admin, (c: Context) => {
    const task = tasks.get(c.req.param('taskId') ?? '');
    if (task === null) throw new HttpError(404, 'not_found', 'the leader holds no such task.');
    return c.json(taskStats(storage, tasks, task));
  });

  return app;
}
