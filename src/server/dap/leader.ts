/**
 * The DAP-09 leader (`hearth serve --role leader`), mounted on the thin-server app: its HPKE
 * configuration, report upload (every check counted by reason and answered with a DAP problem
 * document), durable storage of accepted reports, background aggregation jobs to the helper
 * (./aggregation-driver.ts) and collection jobs (./leader-collection.ts). The task routes under
 * /v1 (publish, list, collect, stats) are in ./leader-admin.ts.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { DAP_MEDIA, decodeReport } from '../../wire/dap/upload.ts';
import type { ClientKey } from '../client-address.ts';
import { DEFAULT_MAX_CLIENTS, type WindowQuota, windowQuota } from '../client-quota.ts';
import { HttpError } from '../http-error.ts';
import { readBinaryBody } from '../read-body.ts';
import type { ServerStorage } from '../storage.ts';
import { createAggregationDriver } from './aggregation-driver.ts';
import {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  expectMediaType,
  hpkeConfigResponse,
  taskOf,
} from './common.ts';
import { type Fetch, helperClient } from './helper-client.ts';
import type { HpkeKeypair } from './hpke.ts';
import { loadOrCreateKeypair } from './keys.ts';
import { leaderAdminRoutes } from './leader-admin.ts';
import { collectionRoutes, createCollections } from './leader-collection.ts';
import type { PrepEngine, StageTimes } from './prep-core.ts';
import { DapProblem, dapErrorHandler } from './problem.ts';
import { type DapStorage, openDapStorage, REPORT_STATE } from './storage.ts';
import { createTaskRegistry, type HeldTask } from './tasks.ts';

/** Reports one client address may upload per task by default (a household behind one address). */
export const DEFAULT_REPORTS_PER_ADDRESS = 10;

/** What the leader role needs beyond the thin server's own dependencies. */
export interface DapLeaderOptions {
  /** The prep engine: a worker thread in `hearth serve`, in process in tests. */
  readonly engine: PrepEngine;
  /** The helper's DAP base URL (ending in '/'), where aggregation and share requests go. */
  readonly helperUrl: string;
  /** Shared secret the aggregators authenticate each other with (HEARTH_PEER_TOKEN). */
  readonly peerToken: string;
  /** The fetch used to reach the helper (tests route it to an in-process helper app). */
  readonly helperFetch?: Fetch;
  /** Reports one client address may upload per task; default 10. */
  readonly reportsPerAddress?: number;
  /** Reports per aggregation job; default 100. */
  readonly jobSize?: number;
  /** Longest a report waits for its job to fill; default 10 s. */
  readonly flushMs?: number;
  /** Pause before a failed job is retried; default 1 s (doubling). */
  readonly retryMs?: number;
  /** Clock skew allowed on report times; default 5 min. */
  readonly maxClockSkewMs?: number;
  /** Per-job stage times (the bench's profile). */
  readonly onJob?: (info: { reports: number; times: StageTimes; helperMs: number }) => void;
}

/** What createApp passes in from the thin server. */
export interface DapLeaderContext {
  readonly server: ServerStorage;
  readonly admin: MiddlewareHandler;
  readonly adminToken: string | undefined;
  readonly client: ClientKey;
  readonly now: () => number;
  readonly maxClients?: number;
  readonly onError?: (error: unknown) => void;
}

/** Why an upload was refused: the counter's name and the problem sent back. */
function refuse(storage: DapStorage, taskId: string, reason: string, problem: DapProblem): never {
  storage.countRejection(taskId, reason);
  throw problem;
}

/** Builds the leader: the /dap routes, the /v1 task routes and the background drivers. */
export function createDapLeader(options: DapLeaderOptions, ctx: DapLeaderContext) {
  const storage = openDapStorage(ctx.server.db);
  const { engine } = options;
  const now = ctx.now;
  const key: HpkeKeypair = loadOrCreateKeypair(storage, 'leader');
  const collectorKey = loadOrCreateKeypair(storage, 'collector');
  const tasks = createTaskRegistry(storage);
  const helper = helperClient({
    url: options.helperUrl,
    token: options.peerToken,
    fetch: options.helperFetch,
  });
  const driver = createAggregationDriver({
    storage,
    tasks,
    engine,
    key,
    helper,
    jobSize: options.jobSize,
    flushMs: options.flushMs,
    retryMs: options.retryMs,
    onJob: options.onJob,
    onError: ctx.onError,
  });
  const collections = createCollections({
    storage,
    tasks,
    engine,
    helper,
    driver,
    retryMs: options.retryMs,
    onError: ctx.onError,
  });
  const skewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const perAddress = options.reportsPerAddress ?? DEFAULT_REPORTS_PER_ADDRESS;
  const quotas = new Map<string, WindowQuota>();
  const quotaOf = (taskId: string): WindowQuota => {
    let q = quotas.get(taskId);
    if (q === undefined) {
      q = windowQuota(perAddress, ctx.maxClients ?? DEFAULT_MAX_CLIENTS);
      quotas.set(taskId, q);
    }
    return q;
  };

  /** PUT /tasks/{id}/reports: checks, then one durable insert; 201 once stored. */
  const upload = async (c: Context) => {
    const taskId = c.req.param('taskId') ?? '';
    let task: HeldTask;
    try {
      task = taskOf(tasks, taskId);
    } catch (problem) {
      storage.countRejection('', 'unrecognized_task');
      throw problem;
    }
    const no = (reason: string, problem: DapProblem) => refuse(storage, task.id, reason, problem);
    try {
      expectMediaType(c, DAP_MEDIA.report);
    } catch (problem) {
      no('invalid_message', problem as DapProblem);
    }
    let body: Uint8Array;
    try {
      body = await readBinaryBody(c, task.maxReportBytes);
    } catch (error) {
      if (error instanceof HttpError && error.status === 413)
        no('too_large', new DapProblem('invalidMessage', 413, error.message));
      throw error;
    }
    let report: ReturnType<typeof decodeReport>;
    try {
      report = decodeReport(body);
    } catch (error) {
      return no('invalid_message', new DapProblem('invalidMessage', 400, (error as Error).message));
    }
    if (report.leaderShare.configId !== key.config.id)
      no(
        'outdated_config',
        new DapProblem(
          'outdatedConfig',
          400,
          `the report is sealed to HPKE config ${report.leaderShare.configId}; this leader's is ${key.config.id}: fetch hpke_config again.`,
        ),
      );
    const time = Number(report.metadata.time);
    if (time * 1000 > now() + skewMs)
      no(
        'report_too_early',
        new DapProblem(
          'reportTooEarly',
          400,
          `report time ${time} s is more than ${skewMs / 1000} s ahead of this leader's clock; retry later.`,
        ),
      );
    const start = Number(task.interval.start);
    const end = start + Number(task.interval.duration);
    if (time < start || time >= end)
      no(
        'outside_window',
        new DapProblem(
          'reportRejected',
          400,
          `report time ${time} s is outside task ${task.id}'s window [${start}, ${end}) s.`,
        ),
      );
    const reportId = report.metadata.reportId;
    const replayed = new DapProblem(
      'reportRejected',
      400,
      'a report with this id was already received; a report is counted once.',
    );
    const collected = new DapProblem(
      'reportRejected',
      400,
      `task ${task.id}'s batch is closed (being collected or released); no report is added to it.`,
    );
    if (tasks.isClosed(task.id)) no('batch_collected', collected);
    if (storage.hasReport(task.id, reportId)) no('report_replayed', replayed);
    const client = ctx.client(c);
    const quota = quotaOf(task.id);
    if (client !== null && quota.remaining(client, task.id) < 1)
      no(
        'quota_exceeded',
        new DapProblem(
          null,
          429,
          `this address has sent ${perAddress} reports for task ${task.id}, the most one address may send.`,
        ),
      );
    if (client !== null) quota.use(client, task.id, 1);
    let stored: boolean;
    try {
      // Closing (a collection starting) and this insert are both synchronous: no report slips in.
      stored =
        !tasks.isClosed(task.id) &&
        storage.insertReport(task.id, reportId, time, REPORT_STATE.pending, body);
    } catch (error) {
      if (client !== null) quota.use(client, task.id, -1);
      throw error;
    }
    if (!stored) {
      if (client !== null) quota.use(client, task.id, -1);
      no(
        tasks.isClosed(task.id) ? 'batch_collected' : 'report_replayed',
        tasks.isClosed(task.id) ? collected : replayed,
      );
    }
    driver.notify();
    return c.body(null, 201);
  };

  const dap = new Hono();
  dap.onError(dapErrorHandler({ onError: ctx.onError }));
  dap.get('/hpke_config', (c) => hpkeConfigResponse(c, tasks, key));
  dap.put('/tasks/:taskId/reports', upload);
  dap.route('/', collectionRoutes({ storage, tasks, collections, admin: ctx.admin, now }));

  const v1 = leaderAdminRoutes({
    storage,
    server: ctx.server,
    tasks,
    helper,
    collectorKey,
    admin: ctx.admin,
    adminToken: ctx.adminToken,
    dap,
    now,
  });

  // Resume what a restart interrupted: started jobs, pending reports, open collections.
  driver.notify();
  collections.resume();

  return {
    dap,
    v1,
    storage,
    tasks,
    driver,
    collectorKey,
    close(): void {
      driver.close();
      collections.close();
    },
  };
}

/** The leader type. */
export type DapLeader = ReturnType<typeof createDapLeader>;
