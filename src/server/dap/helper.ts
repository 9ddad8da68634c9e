/**
 * The DAP-09 helper (`hearth serve --role helper`): its HPKE configuration, the aggregation jobs
 * the leader sends (open its input share of each report, prepare, decide the proof with the
 * leader's preparation share, accumulate the valid ones into the task's aggregate share), the
 * aggregate-share request (checks the leader's report count and checksum against its own and the
 * minimum batch, adds its own discrete Gaussian noise once, seals the share to the collector),
 * and the leader's task provisioning. Everything but `hpke_config` needs the peer token.
 */
import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { checkDapTask } from '../../privacy/dap-accounting.ts';
import { DapTaskSchema } from '../../protocol/dap.ts';
import { decodeAggregationJobInitReq, type PrepareError } from '../../wire/dap/aggregation.ts';
import {
  aggregateShareAad,
  aggregateShareInfo,
  decodeAggregateShareReq,
  encodeAggregateShare,
} from '../../wire/dap/collection.ts';
import { base64url, fromBase64url } from '../../wire/dap/tls.ts';
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import { HttpError } from '../http-error.ts';
import { errorHandler, notFound } from '../middleware/error-handler.ts';
import { requireAdmin } from '../middleware/require-admin.ts';
import { parseOrReject, readBinaryBody, readJson } from '../read-body.ts';
import {
  binary,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  expectMediaType,
  hpkeConfigResponse,
  jobIdOf,
  serialByKey,
  taskOf,
} from './common.ts';
import { hpkeSeal } from './hpke.ts';
import { loadOrCreateKeypair } from './keys.ts';
import type { PrepEngine, StageTimes } from './prep-core.ts';
import { DapProblem, dapErrorHandler, requirePeer } from './problem.ts';
import { countRejections, taskStats } from './stats.ts';
import { type DapStorage, REPORT_STATE } from './storage.ts';
import {
  addToChecksum,
  createTaskRegistry,
  type HeldTask,
  ProvisionSchema,
  prepTask,
  sameInterval,
  type TaskRegistry,
} from './tasks.ts';

/** Reports one aggregation job may hold at most (the leader sends 50–200). */
export const MAX_JOB_REPORTS = 1000;

/** What the helper needs. */
export interface HelperDeps {
  readonly storage: DapStorage;
  readonly engine: PrepEngine;
  /** Bearer token the leader presents (HEARTH_PEER_TOKEN). */
  readonly peerToken: string;
  /** Bearer token of the helper's own admin endpoint (stats); absent → 401. */
  readonly adminToken?: string;
  /** Origins allowed to read the HPKE configuration cross-origin (the site embedding Hearth). */
  readonly corsOrigins?: readonly string[];
  readonly now?: () => number;
  readonly maxClockSkewMs?: number;
  /** Per-job stage times (the bench's profile). */
  readonly onJob?: (info: { reports: number; times: StageTimes }) => void;
  readonly onError?: (error: unknown) => void;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const sameBytes = (a: Uint8Array | null, b: Uint8Array | null) =>
  a !== null && b !== null && Buffer.from(a).equals(Buffer.from(b));

/** Why a report of a job is rejected before any cryptography, or null. */
function precheck(
  task: HeldTask,
  time: bigint,
  nowMs: number,
  skewMs: number,
): PrepareError | null {
  const t = Number(time);
  if (t * 1000 > nowMs + skewMs) return 'report_too_early';
  const start = Number(task.interval.start);
  if (t < start || t >= start + Number(task.interval.duration)) return 'report_dropped';
  return null;
}

/** Stores a task given by the leader (or confirms it holds the same one). */
function provision(
  tasks: TaskRegistry,
  storage: DapStorage,
  id: string,
  body: unknown,
  now: number,
): 200 | 201 {
  const request = parseOrReject(ProvisionSchema, body, 'task provisioning rejected');
  const doc = parseOrReject(DapTaskSchema, request.task, 'task rejected');
  if (doc.id !== id)
    throw new HttpError(400, 'invalid', `the path names task ${id}, the document ${doc.id}`);
  try {
    checkDapTask(doc);
  } catch (error) {
    throw new HttpError(400, 'invalid', error instanceof Error ? error.message : String(error));
  }
  const verifyKey = fromBase64url(request.verifyKey);
  const collectorConfig = fromBase64url(request.collectorConfig);
  if (verifyKey === null || collectorConfig === null)
    throw new HttpError(400, 'invalid', 'verifyKey and collectorConfig must be base64url');
  const row = { id, body: JSON.stringify(doc), verifyKey, collectorConfig };
  const held = tasks.get(id);
  if (held !== null) {
    const same =
      held.body === row.body &&
      sameBytes(held.verifyKey, verifyKey) &&
      base64url(collectorConfig) === request.collectorConfig;
    if (!same)
      throw new HttpError(
        409,
        'stale_version',
        `task ${id} is already held with other parameters; publish changed parameters under a new task id.`,
      );
    return 200;
  }
  storage.transaction(() => tasks.add(row, now));
  return 201;
}

/** Builds the helper app (DAP routes under /dap, stats under /v1/admin/dap). */
export function createHelperApp(deps: HelperDeps) {
  const { storage, engine } = deps;
  const now = deps.now ?? Date.now;
  const skewMs = deps.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const key = loadOrCreateKeypair(storage, 'helper');
  const tasks = createTaskRegistry(storage);
  const serial = serialByKey();
  const peer = requirePeer(deps.peerToken);

  const dap = new Hono();
  dap.onError(dapErrorHandler({ onError: deps.onError }));
  dap.get('/hpke_config', (c) => hpkeConfigResponse(c, tasks, key));

  dap.put('/hearth/tasks/:taskId', peer, async (c) => {
    const status = provision(tasks, storage, c.req.param('taskId'), await readJson(c), now());
    return c.json({ id: c.req.param('taskId'), created: status === 201 }, status);
  });

  dap.put('/tasks/:taskId/aggregation_jobs/:jobId', peer, async (c) => {
    const task = taskOf(tasks, c.req.param('taskId'));
    const jobId = jobIdOf(c.req.param('jobId'));
    expectMediaType(c, DAP_MEDIA.aggregationJobInitReq);
    const body = await readBinaryBody(c, task.maxReportBytes * MAX_JOB_REPORTS);
    return serial(task.id, () => aggregationJob(task, jobId, body));
  });

  dap.post('/tasks/:taskId/aggregate_shares', peer, async (c) => {
    const task = taskOf(tasks, c.req.param('taskId'));
    expectMediaType(c, DAP_MEDIA.aggregateShareReq);
    const body = await readBinaryBody(c, 4096);
    return serial(task.id, () => aggregateShare(task, body));
  });

  /** One aggregation job: answered once, the same answer again for the same request. */
  async function aggregationJob(task: HeldTask, jobId: string, body: Uint8Array) {
    const hash = sha256(body);
    const existing = storage.aggregationJob(jobId);
    if (existing !== null) {
      if (existing.taskId === task.id && sameBytes(existing.requestHash, hash) && existing.response)
        return binary(existing.response, 201, DAP_MEDIA.aggregationJobResp);
      throw new DapProblem(
        'invalidMessage',
        409,
        `aggregation job ${jobId} exists with another request; a job id is used once.`,
      );
    }
    let request: ReturnType<typeof decodeAggregationJobInitReq>;
    try {
      request = decodeAggregationJobInitReq(body);
    } catch (error) {
      throw new DapProblem('invalidMessage', 400, (error as Error).message);
    }
    if (request.aggregationParameter.length > 0)
      throw new DapProblem('invalidMessage', 400, 'Prio3 takes an empty aggregation parameter.');
    const released = tasks.isClosed(task.id);
    const seen = new Set<string>();
    const times = new Map<string, number>();
    const skip = request.prepareInits.map(({ reportShare: { metadata } }): PrepareError | null => {
      const id = hex(metadata.reportId);
      if (released) return 'batch_collected';
      if (seen.has(id) || storage.hasReport(task.id, metadata.reportId)) return 'report_replayed';
      seen.add(id);
      times.set(id, Number(metadata.time));
      return precheck(task, metadata.time, now(), skewMs);
    });
    const batch = storage.batch(task.id);
    const result = await engine.helperPrepare(prepTask(task, key), body, skip, batch.share);
    deps.onJob?.({ reports: request.prepareInits.length, times: result.times });
    const acceptedTimes = result.accepted.map((id) => times.get(hex(id)) ?? 0);
    storage.transaction(() => {
      for (const [i, id] of result.accepted.entries())
        if (
          !storage.insertReport(task.id, id, acceptedTimes[i] ?? 0, REPORT_STATE.aggregated, null)
        )
          throw new Error(`report ${hex(id)} would be counted twice in task ${task.id}`);
      storage.putBatch(task.id, {
        share: result.share,
        reportCount: batch.reportCount + result.accepted.length,
        checksum: addToChecksum(batch.checksum, result.accepted),
        minTime:
          acceptedTimes.length === 0
            ? batch.minTime
            : Math.min(batch.minTime ?? Infinity, ...acceptedTimes),
        maxTime:
          acceptedTimes.length === 0
            ? batch.maxTime
            : Math.max(batch.maxTime ?? -Infinity, ...acceptedTimes),
      });
      countRejections(storage, task.id, result.rejected);
      storage.insertAggregationJob(jobId, task.id, true, hash, result.response);
    });
    return binary(result.response, 201, DAP_MEDIA.aggregationJobResp);
  }

  /** The helper's noisy aggregate share, sealed to the collector; drawn and released once. */
  async function aggregateShare(task: HeldTask, body: Uint8Array) {
    let request: ReturnType<typeof decodeAggregateShareReq>;
    try {
      request = decodeAggregateShareReq(body);
    } catch (error) {
      throw new DapProblem('invalidMessage', 400, (error as Error).message);
    }
    if (!sameInterval(request.interval, task.interval))
      throw new DapProblem(
        'batchInvalid',
        400,
        `task ${task.id} has one batch, its window [${task.interval.start}, +${task.interval.duration}) s; query exactly that.`,
      );
    const batch = storage.batch(task.id);
    const count = BigInt(batch.reportCount);
    if (batch.releasedAnswer !== null) {
      if (
        BigInt(batch.releasedCount ?? -1) === request.reportCount &&
        sameBytes(batch.releasedChecksum, request.checksum)
      )
        return binary(batch.releasedAnswer, 200, DAP_MEDIA.aggregateShare);
      throw new DapProblem(
        'batchQueriedTooManyTimes',
        400,
        `the batch of task ${task.id} was released once (${batch.releasedCount} reports); it is never released again.`,
      );
    }
    if (request.reportCount !== count || !sameBytes(request.checksum, batch.checksum))
      throw new DapProblem(
        'batchMismatch',
        400,
        `the leader counts ${request.reportCount} reports, this helper ${count} (or the report ids differ); nothing was released.`,
      );
    if (batch.reportCount < task.doc.minBatch)
      throw new DapProblem(
        'invalidBatchSize',
        400,
        `the batch has ${batch.reportCount} verified reports, the task's minimum is ${task.doc.minBatch}; nothing was released.`,
      );
    const noised = await engine.addNoise(task.vdaf, batch.share, task.doc.noise.sigma);
    const sealed = await hpkeSeal(
      task.collectorConfig,
      noised,
      aggregateShareInfo('helper'),
      aggregateShareAad(task.idBytes, new Uint8Array(0), task.interval),
    );
    const answer = encodeAggregateShare(sealed);
    storage.transaction(() => {
      storage.releaseBatch(task.id, noised, batch.reportCount, batch.checksum, answer);
      tasks.close(task.id);
    });
    return binary(answer, 200, DAP_MEDIA.aggregateShare);
  }

  const app = new Hono();
  app.onError(errorHandler({ onError: deps.onError }));
  app.notFound(notFound());
  app.use('*', cors({ origin: [...(deps.corsOrigins ?? [])], allowMethods: ['GET'] }));
  app.get('/healthz', (c) => c.json({ ok: true, role: 'helper' }));
  app.route('/dap', dap);
  app.get(
    '/v1/admin/dap/tasks/:taskId/stats',
    requireAdmin({ token: deps.adminToken }),
    (c: Context) => {
      const task = tasks.get(c.req.param('taskId') ?? '');
      if (task === null) throw new HttpError(404, 'not_found', 'no such task on this helper.');
      return c.json(taskStats(storage, tasks, task));
    },
  );
  return app;
}
