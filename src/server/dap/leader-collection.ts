/**
 * Collection on the leader (DAP-09 §4.6): the collector's PUT opens a collection job for a task's
 * one batch — only once the window has closed, only one job per task — and closes the batch to
 * new reports; in the background the leader finishes every aggregation job of the task, checks
 * the minimum batch, obtains the helper's sealed aggregate share (with the report count and
 * checksum), adds its own discrete Gaussian noise to its share once (stored: a retry reuses it,
 * never redraws), seals it to the collector and stores the Collection; the collector's POST polls
 * (202) until it gets the Collection (200) or the refusal (a problem document).
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import {
  aggregateShareAad,
  aggregateShareInfo,
  decodeAggregateShare,
  decodeCollectionReq,
  encodeAggregateShareReq,
  encodeCollection,
} from '../../wire/dap/collection.ts';
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import { readBinaryBody } from '../read-body.ts';
import type { AggregationDriver } from './aggregation-driver.ts';
import { binary, expectMediaType, jobIdOf, taskOf } from './common.ts';
import { HelperCallError, type HelperClient } from './helper-client.ts';
import { hpkeSeal } from './hpke.ts';
import type { PrepEngine } from './prep-core.ts';
import { DapProblem, type DapProblemType, problemResponse } from './problem.ts';
import type { DapStorage } from './storage.ts';
import { closesAt, sameInterval, spanInterval, type TaskRegistry } from './tasks.ts';

/** A refusal stored with a failed collection job. */
interface StoredProblem {
  readonly type: DapProblemType | null;
  readonly status: number;
  readonly detail: string;
}

/** Options of the collection runner. */
export interface CollectionsOptions {
  readonly storage: DapStorage;
  readonly tasks: TaskRegistry;
  readonly engine: PrepEngine;
  readonly helper: HelperClient;
  readonly driver: AggregationDriver;
  readonly retryMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Creates the runner of collection jobs (one run per job at a time). */
export function createCollections(options: CollectionsOptions) {
  const { storage, tasks, engine, helper, driver } = options;
  const running = new Set<string>();
  let closed = false;

  const fail = (taskId: string, jobId: string, problem: StoredProblem) =>
    storage.endCollectionJob(taskId, jobId, { error: JSON.stringify(problem) });

  /** One attempt; throws what a retry may fix (the helper unreachable). */
  const attempt = async (taskId: string, jobId: string) => {
    const task = tasks.get(taskId);
    if (task === null) return;
    await driver.drain(taskId);
    const batch = storage.batch(taskId);
    if (batch.reportCount < task.doc.minBatch) {
      fail(taskId, jobId, {
        type: 'invalidBatchSize',
        status: 400,
        detail: `task ${taskId} has ${batch.reportCount} verified reports, its minimum batch is ${task.doc.minBatch}; nothing was released.`,
      });
      return;
    }
    let answer: Uint8Array;
    try {
      answer = await helper.call(
        'POST',
        `tasks/${taskId}/aggregate_shares`,
        encodeAggregateShareReq({
          interval: task.interval,
          aggregationParameter: new Uint8Array(0),
          reportCount: BigInt(batch.reportCount),
          checksum: batch.checksum,
        }),
        DAP_MEDIA.aggregateShareReq,
      );
    } catch (error) {
      if (error instanceof HelperCallError && error.permanent) {
        fail(taskId, jobId, {
          type: error.problemType,
          status: error.status ?? 502,
          detail: `the helper refused the aggregate share: ${error.detail ?? error.message}`,
        });
        return;
      }
      throw error;
    }
    const helperShare = decodeAggregateShare(answer);
    if (batch.releasedShare === null) {
      const noised = await engine.addNoise(task.vdaf, batch.share, task.doc.noise.sigma);
      storage.releaseBatch(taskId, noised, batch.reportCount, batch.checksum, null);
    }
    const released = storage.batch(taskId).releasedShare;
    if (released === null) throw new Error(`task ${taskId}: the released share was not stored`);
    const leaderShare = await hpkeSeal(
      task.collectorConfig,
      released,
      aggregateShareInfo('leader'),
      aggregateShareAad(task.idBytes, new Uint8Array(0), task.interval),
    );
    const collection = encodeCollection({
      reportCount: BigInt(batch.reportCount),
      interval: spanInterval(
        batch.minTime ?? Number(task.interval.start),
        batch.maxTime ?? Number(task.interval.start),
        task.doc.timePrecisionSeconds,
      ),
      leaderShare,
      helperShare,
    });
    storage.endCollectionJob(taskId, jobId, { result: collection });
  };

  const run = async (taskId: string, jobId: string) => {
    let pause = options.retryMs ?? 1000;
    while (!closed) {
      try {
        await attempt(taskId, jobId);
        return;
      } catch (error) {
        options.onError?.(error);
        await new Promise((r) => setTimeout(r, pause).unref());
        pause = Math.min(pause * 2, 60_000);
      }
    }
  };

  return {
    /** Runs a pending job in the background unless it runs already. */
    start(taskId: string, jobId: string): void {
      const key = `${taskId}/${jobId}`;
      if (running.has(key) || closed) return;
      running.add(key);
      void run(taskId, jobId).finally(() => running.delete(key));
    },
    /** Restarts every pending job (after a restart of the leader). */
    resume(): void {
      for (const job of storage.pendingCollectionJobs()) this.start(job.taskId, job.id);
    },
    close(): void {
      closed = true;
    },
  };
}

/** The collection runner type. */
export type Collections = ReturnType<typeof createCollections>;

/** PUT and POST {leader}/tasks/{id}/collection_jobs/{job}; the collector bears the admin token. */
export function collectionRoutes(deps: {
  readonly storage: DapStorage;
  readonly tasks: TaskRegistry;
  readonly collections: Collections;
  readonly admin: MiddlewareHandler;
  readonly now: () => number;
}): Hono {
  const { storage, tasks, collections } = deps;
  const app = new Hono();

  app.put('/tasks/:taskId/collection_jobs/:jobId', deps.admin, async (c: Context) => {
    const task = taskOf(tasks, c.req.param('taskId') ?? '');
    const jobId = jobIdOf(c.req.param('jobId') ?? '');
    expectMediaType(c, DAP_MEDIA.collectReq);
    const body = await readBinaryBody(c, 4096);
    let request: ReturnType<typeof decodeCollectionReq>;
    try {
      request = decodeCollectionReq(body);
    } catch (error) {
      throw new DapProblem('invalidMessage', 400, (error as Error).message);
    }
    if (!sameInterval(request.interval, task.interval) || request.aggregationParameter.length > 0)
      throw new DapProblem(
        'batchInvalid',
        400,
        `task ${task.id} has one batch, its window [${task.interval.start}, +${task.interval.duration}) s, and an empty aggregation parameter; query exactly that.`,
      );
    const existing = storage.collectionJob(task.id, jobId);
    if (existing !== null) {
      if (Buffer.from(existing.request).equals(Buffer.from(body))) return c.body(null, 201);
      throw new DapProblem(
        'invalidMessage',
        409,
        `collection job ${jobId} exists with another query.`,
      );
    }
    const other = storage.collectionJobIds(task.id)[0];
    if (other !== undefined)
      throw new DapProblem(
        'batchQueriedTooManyTimes',
        400,
        `task ${task.id}'s batch is collected by job ${other}; a batch is released at most once (poll that job).`,
      );
    const closes = closesAt(task);
    if (deps.now() < closes)
      throw new DapProblem(
        'batchInvalid',
        400,
        `task ${task.id}'s window is open until ${new Date(closes).toISOString()}; collect after it closes. Nothing was released or closed.`,
      );
    storage.transaction(() => {
      storage.insertCollectionJob(task.id, jobId, body);
      tasks.close(task.id);
    });
    collections.start(task.id, jobId);
    return c.body(null, 201);
  });

  app.post('/tasks/:taskId/collection_jobs/:jobId', deps.admin, (c: Context) => {
    const task = taskOf(tasks, c.req.param('taskId') ?? '');
    const jobId = jobIdOf(c.req.param('jobId') ?? '');
    const job = storage.collectionJob(task.id, jobId);
    if (job === null)
      throw new DapProblem(
        null,
        404,
        `task ${task.id} has no collection job ${jobId}; PUT it first.`,
      );
    if (job.state === 'done' && job.result !== null)
      return binary(job.result, 200, DAP_MEDIA.collection);
    if (job.state === 'failed') {
      const p = JSON.parse(job.error ?? '{}') as StoredProblem;
      const status = p.status >= 400 && p.status < 600 ? p.status : 500;
      return problemResponse(
        new DapProblem(p.type, status as 400, p.detail ?? 'collection failed', task.id),
      );
    }
    collections.start(task.id, jobId);
    return c.body(null, 202, { 'retry-after': '1' });
  });

  return app;
}
