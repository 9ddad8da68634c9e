/**
 * Counts an aggregator keeps per task: reports by state and rejections by reason (the DAP
 * PrepareError names for reports rejected in preparation, and the upload checks' own reasons).
 */
import type { Rejection } from './prep-core.ts';
import { type DapStorage, REPORT_STATE } from './storage.ts';
import type { HeldTask, TaskRegistry } from './tasks.ts';

/** Adds each rejection to the task's counters, one row per reason (inside a transaction). */
export function countRejections(
  storage: DapStorage,
  taskId: string,
  rejections: readonly Rejection[],
): void {
  const byReason = new Map<string, number>();
  for (const r of rejections) byReason.set(r.error, (byReason.get(r.error) ?? 0) + 1);
  for (const [reason, n] of byReason) storage.countRejection(taskId, reason, n);
}

/** A task's counters as the stats endpoints answer them. */
export function taskStats(storage: DapStorage, tasks: TaskRegistry, task: HeldTask) {
  const states = storage.stateCounts(task.id);
  const batch = storage.batch(task.id);
  return {
    id: task.id,
    name: task.doc.name,
    closed: tasks.isClosed(task.id),
    reports: {
      pending: states.get(REPORT_STATE.pending) ?? 0,
      inJob: states.get(REPORT_STATE.inJob) ?? 0,
      aggregated: states.get(REPORT_STATE.aggregated) ?? 0,
      rejected: states.get(REPORT_STATE.rejected) ?? 0,
    },
    batch: { reports: batch.reportCount, released: batch.releasedShare !== null },
    rejections: storage.rejections(task.id),
  };
}
