/**
 * The leader's background aggregation (DAP-09 §4.5): pending reports are put into jobs of up to
 * `jobSize` (a job starts once that many are pending, or at the next flush tick, or at once when
 * a collection waits), each job is prepared in the engine, sent to the helper, finished and
 * committed in one transaction: the valid reports' output shares added to the task's aggregate
 * share, every report of the job marked aggregated or rejected (with its reason counted), the job
 * marked done. A job started before a crash is resumed with the same id and reports, so the
 * helper (which stores its answer per job) counts it once and so does the leader. Up to two jobs
 * run at once: the leader prepares the next while the helper works on the current one.
 */

import { base64url } from '../../wire/dap/tls.ts';
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import { serialByKey } from './common.ts';
import type { HelperClient } from './helper-client.ts';
import type { HpkeKeypair } from './hpke.ts';
import type { PrepEngine, Rejection, StageTimes } from './prep-core.ts';
import { countRejections } from './stats.ts';
import { type DapStorage, REPORT_STATE } from './storage.ts';
import { addToChecksum, prepTask, type TaskRegistry } from './tasks.ts';

/** Reports per aggregation job by default (DAP deployments use 50–200). */
export const DEFAULT_JOB_SIZE = 100;

/** Longest a pending report waits for a job to fill, by default. */
export const DEFAULT_FLUSH_MS = 10_000;

/** Options of the driver. */
export interface AggregationDriverOptions {
  readonly storage: DapStorage;
  readonly tasks: TaskRegistry;
  readonly engine: PrepEngine;
  readonly key: HpkeKeypair;
  readonly helper: HelperClient;
  readonly jobSize?: number;
  readonly flushMs?: number;
  /** Wait before retrying a failed job (doubles up to 16× on repeated failures). */
  readonly retryMs?: number;
  /** Jobs in flight at once (2: the leader prepares one while the helper works on the other). */
  readonly concurrency?: number;
  /** Called with each finished job's stage times (the bench's profile). */
  readonly onJob?: (info: { reports: number; times: StageTimes; helperMs: number }) => void;
  readonly onError?: (error: unknown) => void;
}

/** Creates the driver; call `notify()` after storing reports, `drain(task)` before collecting. */
export function createAggregationDriver(options: AggregationDriverOptions) {
  const { storage, tasks, engine, key, helper } = options;
  const jobSize = options.jobSize ?? DEFAULT_JOB_SIZE;
  const retryMs = options.retryMs ?? 1000;
  const concurrency = options.concurrency ?? 2;
  const finishSerial = serialByKey();
  const active = new Set<string>();
  const urgent = new Set<string>();
  const waiters = new Map<string, Set<() => void>>();
  let failures = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let scheduled = false;
  let closed = false;

  const due = new Set<string>();
  const flush = setInterval(() => {
    for (const taskId of storage.tasksWithPending().keys()) due.add(taskId);
    notify();
  }, options.flushMs ?? DEFAULT_FLUSH_MS);
  flush.unref();

  const settleWaiters = () => {
    for (const [taskId, set] of waiters) {
      if (storage.unsettled(taskId) > 0) continue;
      for (const done of set) done();
      waiters.delete(taskId);
      urgent.delete(taskId);
    }
  };

  const commit = (
    jobId: string,
    taskId: string,
    reports: readonly { reportId: Uint8Array; time: number }[],
    share: Uint8Array | null,
    accepted: readonly Uint8Array[],
    rejected: readonly Rejection[],
  ) => {
    const times = new Map(reports.map((r) => [Buffer.from(r.reportId).toString('hex'), r.time]));
    const acceptedTimes = accepted.map((id) => times.get(Buffer.from(id).toString('hex')) ?? 0);
    storage.transaction(() => {
      const batch = storage.batch(taskId);
      for (const id of accepted) storage.settleReport(taskId, id, REPORT_STATE.aggregated);
      for (const r of rejected) storage.settleReport(taskId, r.reportId, REPORT_STATE.rejected);
      countRejections(storage, taskId, rejected);
      if (accepted.length > 0)
        storage.putBatch(taskId, {
          share,
          reportCount: batch.reportCount + accepted.length,
          checksum: addToChecksum(batch.checksum, accepted),
          minTime: Math.min(batch.minTime ?? Infinity, ...acceptedTimes),
          maxTime: Math.max(batch.maxTime ?? -Infinity, ...acceptedTimes),
        });
      storage.finishAggregationJob(jobId);
    });
  };

  /** Runs one job to its commit; throws (and leaves it started) when the helper fails. */
  const runJob = async (jobId: string, taskId: string) => {
    const task = tasks.get(taskId);
    if (task === null) throw new Error(`aggregation job ${jobId} names unknown task ${taskId}`);
    const ptask = prepTask(task, key);
    const reports = storage.jobReports(jobId);
    const init = await engine.leaderInit(jobId, ptask, reports);
    if (init.included.length === 0) {
      commit(jobId, taskId, reports, null, [], init.rejected);
      return;
    }
    const t0 = performance.now();
    const response = await helper.call(
      'PUT',
      `tasks/${taskId}/aggregation_jobs/${jobId}`,
      init.request,
      DAP_MEDIA.aggregationJobInitReq,
    );
    const helperMs = performance.now() - t0;
    // One finish per task at a time: each reads the accumulated share and writes it back.
    await finishSerial(taskId, async () => {
      const finish = await engine.leaderFinish(jobId, ptask, response, storage.batch(taskId).share);
      commit(jobId, taskId, reports, finish.share, finish.accepted, [
        ...init.rejected,
        ...finish.rejected,
      ]);
      const times = { ...init.times };
      for (const [k, v] of Object.entries(finish.times)) times[k as keyof StageTimes] += v;
      options.onJob?.({ reports: reports.length, times, helperMs });
    });
  };

  const launch = (jobId: string, taskId: string) => {
    active.add(jobId);
    runJob(jobId, taskId)
      .then(
        () => {
          failures = 0;
        },
        (error: unknown) => {
          failures = Math.min(failures + 1, 5);
          options.onError?.(error);
          // Leave the job started; retry it after a pause (the helper may be restarting).
          if (retryTimer === null && !closed) {
            retryTimer = setTimeout(
              () => {
                retryTimer = null;
                notify();
              },
              retryMs * 2 ** (failures - 1),
            );
            retryTimer.unref();
          }
        },
      )
      .finally(() => {
        active.delete(jobId);
        settleWaiters();
        if (failures === 0) notify();
      });
  };

  /** Starts what can start: resumed jobs first, then new jobs for due tasks. */
  const pump = () => {
    scheduled = false;
    if (closed) return;
    try {
      for (const job of storage.startedAggregationJobs()) {
        if (active.size >= concurrency) return;
        if (active.has(job.id) || retryTimer !== null) continue;
        launch(job.id, job.taskId);
      }
      if (retryTimer !== null) return;
      for (const [taskId, n] of storage.tasksWithPending()) {
        let left = n;
        while (active.size < concurrency) {
          const ready = left >= jobSize || due.has(taskId) || urgent.has(taskId);
          if (!ready) break;
          const pending = storage.pendingReports(taskId, jobSize);
          if (pending.length === 0) {
            due.delete(taskId);
            break;
          }
          const jobId = base64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
          storage.transaction(() => {
            storage.insertAggregationJob(jobId, taskId, false, null, null);
            storage.assignReports(
              jobId,
              taskId,
              pending.map((p) => p.reportId),
            );
          });
          launch(jobId, taskId);
          left -= pending.length;
          if (pending.length < jobSize) {
            due.delete(taskId);
            break;
          }
        }
      }
    } catch (error) {
      // E.g. a locked database: the next notify retries.
      options.onError?.(error);
    }
    settleWaiters();
  };

  /** Schedules a pump (after reports arrive, a job ends, a retry pause ends). */
  function notify(): void {
    if (scheduled || closed) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    notify,
    /** Resolves once every report of `taskId` stored now is aggregated or rejected. */
    drain(taskId: string): Promise<void> {
      if (storage.unsettled(taskId) === 0) return Promise.resolve();
      urgent.add(taskId);
      return new Promise((resolve) => {
        let set = waiters.get(taskId);
        if (set === undefined) {
          set = new Set();
          waiters.set(taskId, set);
        }
        set.add(resolve);
        notify();
      });
    },
    /** Jobs in flight. */
    active: (): number => active.size,
    close(): void {
      closed = true;
      clearInterval(flush);
      if (retryTimer !== null) clearTimeout(retryTimer);
    },
  };
}

/** The driver type. */
export type AggregationDriver = ReturnType<typeof createAggregationDriver>;
