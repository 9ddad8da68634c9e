/**
 * The tasks an aggregator holds, in memory over its storage: the published document (checked
 * with `checkDapTask` before it is accepted), the verify key, the collector's HPKE config, and
 * what the routes derive from them — the batch interval (the task's window in whole time-precision
 * steps: a task has exactly one batch), the size limit of a report, the Prio3 parameters. Also the
 * DAP batch checksum (XOR of SHA-256 of the report ids).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type DapTask, DapTaskSchema } from '../../protocol/dap.ts';
import type { Interval } from '../../wire/dap/collection.ts';
import { Prio3Codec, type SumVecParams, sumVecVdaf } from '../../wire/dap/prio3-codec.ts';
import { fromBase64url } from '../../wire/dap/tls.ts';
import { decodeHpkeConfig, type HpkeConfig } from '../../wire/dap/upload.ts';
import type { HpkeKeypair } from './hpke.ts';
import type { PrepTask } from './prep-core.ts';
import type { DapStorage, StoredTask } from './storage.ts';

/** A task as an aggregator uses it. */
export interface HeldTask {
  readonly id: string;
  readonly doc: DapTask;
  /** The published JSON, byte for byte (a re-upload must match it to be a no-op). */
  readonly body: string;
  readonly idBytes: Uint8Array;
  readonly verifyKey: Uint8Array;
  readonly collectorConfig: HpkeConfig;
  readonly vdaf: SumVecParams;
  /** The batch interval in seconds: the window widened to whole time-precision steps. */
  readonly interval: Interval;
  /** Largest report body accepted (the leader's input share dominates). */
  readonly maxReportBytes: number;
}

/** Report bytes beyond the leader's input share: metadata, public share, HPKE overheads. */
const REPORT_OVERHEAD = 1024;

/** The batch interval of a window [start, end) in ms, aligned to the time precision. */
export function batchInterval(doc: DapTask): Interval {
  const tp = doc.timePrecisionSeconds;
  const start = Math.floor(doc.window.start / 1000 / tp) * tp;
  const end = Math.ceil(doc.window.end / 1000 / tp) * tp;
  return { start: BigInt(start), duration: BigInt(end - start) };
}

/** When (ms) the batch interval ends: no report can belong to the batch after it. */
export function closesAt(task: HeldTask): number {
  return Number(task.interval.start + task.interval.duration) * 1000;
}

/** Builds a HeldTask from its stored row. */
export function heldTask(stored: Omit<StoredTask, 'closed'>): HeldTask {
  const doc = DapTaskSchema.parse(JSON.parse(stored.body));
  const idBytes = fromBase64url(doc.id);
  if (idBytes === null || idBytes.length !== 32) throw new Error(`task id ${doc.id} is malformed`);
  const vdaf = {
    length: doc.vdaf.length,
    bits: doc.vdaf.bits,
    chunkLength: doc.vdaf.chunkLength,
  };
  return {
    id: doc.id,
    doc,
    body: stored.body,
    idBytes,
    verifyKey: stored.verifyKey,
    collectorConfig: decodeHpkeConfig(stored.collectorConfig),
    vdaf,
    interval: batchInterval(doc),
    maxReportBytes: new Prio3Codec(sumVecVdaf(vdaf)).leaderInputShareBytes + REPORT_OVERHEAD,
  };
}

/** What preparation needs of a task, with this aggregator's key. */
export function prepTask(task: HeldTask, key: HpkeKeypair): PrepTask {
  return { taskId: task.idBytes, vdaf: task.vdaf, verifyKey: task.verifyKey, key };
}

/** The tasks an aggregator holds (loaded from storage, added by the admin or peer route). */
export function createTaskRegistry(storage: DapStorage) {
  const tasks = new Map<string, HeldTask>();
  const closed = new Set<string>();
  for (const row of storage.tasks()) {
    tasks.set(row.id, heldTask(row));
    if (row.closed) closed.add(row.id);
  }
  return {
    get: (id: string): HeldTask | null => tasks.get(id) ?? null,
    all: (): HeldTask[] => [...tasks.values()],
    /** Stores and holds a new task. */
    add(row: Omit<StoredTask, 'closed'>, now: number): HeldTask {
      const task = heldTask(row);
      storage.insertTask(row, now);
      tasks.set(task.id, task);
      return task;
    },
    /** Closes a task's batch to new reports (durably; call inside a transaction). */
    close(id: string): void {
      storage.closeTask(id);
      closed.add(id);
    },
    isClosed: (id: string): boolean => closed.has(id),
  };
}

/** The task registry type. */
export type TaskRegistry = ReturnType<typeof createTaskRegistry>;

/** `checksum` XOR SHA-256 of each report id (DAP-09's batch checksum), as a new array. */
export function addToChecksum(
  checksum: Uint8Array,
  reportIds: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(checksum);
  for (const id of reportIds) {
    const h = createHash('sha256').update(id).digest();
    for (let i = 0; i < 32; i++) out[i] = (out[i] ?? 0) ^ (h[i] ?? 0);
  }
  return out;
}

/** The smallest interval, in time-precision steps, holding times [min, max] (seconds). */
export function spanInterval(min: number, max: number, tp: number): Interval {
  const start = Math.floor(min / tp) * tp;
  const end = (Math.floor(max / tp) + 1) * tp;
  return { start: BigInt(start), duration: BigInt(end - start) };
}

/** Equal intervals. */
export function sameInterval(a: Interval, b: Interval): boolean {
  return a.start === b.start && a.duration === b.duration;
}

/**
 * The leader's request that gives the helper a task (PUT {helper}/hearth/tasks/{id}, peer token):
 * the published document, the verify key the leader drew and the collector's HPKE config, the
 * last two as unpadded base64url.
 */
export const ProvisionSchema = z.strictObject({
  task: z.unknown(),
  verifyKey: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a verify key is 16 bytes in base64url'),
  collectorConfig: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .max(1024),
});

/** The provisioning request body. */
export type Provision = z.infer<typeof ProvisionSchema>;
