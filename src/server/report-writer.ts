/**
 * Group commit for telemetry. With `synchronous = FULL` every commit waits for an fsync, so one
 * transaction per request would cap ingestion at the disk's fsync rate. Instead the batches that
 * requests hand over during one event-loop turn are stored together in one transaction, and each
 * request is answered only after that commit: the acknowledgement stays durable, the fsync is
 * shared.
 */
import type { ReportBatch, ServerStorage } from './storage.ts';

/** Creates the writer; `schedule` runs the shared commit later (default setImmediate). */
export function createReportWriter(
  storage: ServerStorage,
  schedule: (commit: () => void) => void = (commit) => void setImmediate(commit),
) {
  let waiting: { batch: ReportBatch; resolve: () => void; reject: (error: unknown) => void }[] = [];

  const commit = () => {
    const group = waiting;
    waiting = [];
    try {
      storage.insertReportBatches(group.map((w) => w.batch));
    } catch (error) {
      // All or nothing: every request of the group learns that its reports were not stored.
      for (const w of group) w.reject(error);
      return;
    }
    for (const w of group) w.resolve();
  };

  return {
    /** Resolves once `batch` is committed (with every batch handed over in the same turn). */
    write(batch: ReportBatch): Promise<void> {
      if (waiting.length === 0) schedule(commit);
      return new Promise((resolve, reject) => {
        waiting.push({ batch, resolve, reject });
      });
    },
  };
}

/** The report writer type. */
export type ReportWriter = ReturnType<typeof createReportWriter>;
