/**
 * One DAP report, made by the maintained implementation (`@divviup/dap` 0.9: DAP draft 09, Prio3
 * of VDAF draft 08): the measurement is split into two secret shares with a zero-knowledge proof
 * that it is well-formed (Prio3SumVec: every entry in [0, 2^bits)), each share HPKE-sealed to one
 * aggregator, and the report encoded for upload. No field arithmetic, proof or encryption here.
 *
 * The aggregators' HPKE configurations are fetched beforehand by the caller through the privacy
 * gate (dap-client.ts) and handed in as bytes: the library's own fetch (`task.fetch`) serves only
 * those two pinned answers, so it can make no request. The input is structured-clone friendly, so
 * a report can be made in another thread (the simulation's worker_threads).
 */
import { Task } from '@divviup/dap';
import type { DapTask } from '../protocol/dap.ts';

/** The media type of an HPKE configuration list (DAP-09 §4.5.1); the library checks it exactly. */
export const HPKE_CONFIG_LIST_TYPE = 'application/dap-hpke-config-list';
/** The media type of an uploaded report (DAP-09 §4.5.2). */
export const DAP_REPORT_TYPE = 'application/dap-report';

/** What one report is made from. */
export interface DapReportInput {
  readonly task: DapTask;
  /** The SumVec measurement, `task.vdaf.length` integers in [0, 2^bits). */
  readonly measurement: readonly number[];
  /** The `hpke_config` answers of the leader and of the helper, as fetched through the gate. */
  readonly hpkeConfigs: { readonly leader: Uint8Array; readonly helper: Uint8Array };
  /** Report time (epoch ms); the library rounds it down to the task's time precision. */
  readonly timestamp: number;
}

/** The encoded report and how long the library took to make it. */
export interface DapReportOutput {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Milliseconds spent in `generateReport` and `encode` (sharding, proof, HPKE). */
  readonly ms: number;
}

/**
 * Prio3 chunk length of Hearth's large SumVec tasks (a 1-bit histogram over a catalog of
 * ~10,000 items). With `@divviup/prio3` the client's proof costs ∝ chunk × (length/chunk)² (a
 * schoolbook polynomial product), so anything above the spec's √length is faster for the client
 * (10,000 entries in Node 20: ~0.45 s at 100, ~0.3 s at 200, ~0.26 s at 400; in Chromium's worker
 * 171 / 121 / 108 ms), while the aggregators, the scarce side, are cheapest at 200 (333 ms of CPU
 * per report for both together, against 367 at 100 and 372 at 400; docs/dap.md § Measured).
 */
export const HISTOGRAM_CHUNK_LENGTH = 200;

/** The chunk length for a SumVec of `length` entries: √length when small, 200 from 2,000 on. */
export function chunkLengthFor(length: number): number {
  return length >= 2_000 ? HISTOGRAM_CHUNK_LENGTH : Math.max(1, Math.ceil(Math.sqrt(length)));
}

/** Makes one report; the simulation passes one that runs in worker threads. */
export type DapReportMaker = (input: DapReportInput) => Promise<DapReportOutput>;

/** A report the library could not make (a measurement out of range, a bad HPKE config). */
export class DapReportError extends Error {
  override readonly name = 'DapReportError';
}

/** An aggregator's DAP base URL with the trailing '/' the library adds (its paths are relative). */
export function aggregatorBase(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The URL of an aggregator's HPKE configuration for a task, as the library requests it. */
export function hpkeConfigUrl(aggregator: string, taskId: string): string {
  const url = new URL('hpke_config', aggregatorBase(aggregator));
  url.searchParams.append('task_id', taskId);
  return url.href;
}

/** The URL a report of `task` is uploaded to (`PUT`). */
export function reportUploadUrl(task: Pick<DapTask, 'id' | 'leader'>): string {
  return new URL(`tasks/${task.id}/reports`, aggregatorBase(task.leader)).href;
}

/**
 * A fetch for the library that answers the two `hpke_config` GETs of `input` from the pinned
 * bytes and refuses anything else: the library never reaches the network.
 */
function pinnedFetch(input: DapReportInput) {
  const answers = new Map([
    [hpkeConfigUrl(input.task.leader, input.task.id), input.hpkeConfigs.leader],
    [hpkeConfigUrl(input.task.helper, input.task.id), input.hpkeConfigs.helper],
  ]);
  return async (request: RequestInfo, init?: RequestInit): Promise<Response> => {
    const url = typeof request === 'string' ? request : request.url;
    const body = answers.get(url);
    if ((init?.method ?? 'GET') !== 'GET' || body === undefined) {
      throw new DapReportError(
        `the DAP library asked for ${init?.method ?? 'GET'} ${url}; it may only read the two pinned HPKE configurations (uploads go through the privacy gate).`,
      );
    }
    return new Response(new Uint8Array(body), {
      headers: { 'content-type': HPKE_CONFIG_LIST_TYPE },
    });
  };
}

/** `@divviup/dap`'s client `Task` for a task document (its `fetch` is the caller's to pin). */
export function libraryTask(task: DapTask) {
  return new Task({
    type: 'sumVec',
    length: task.vdaf.length,
    bits: task.vdaf.bits,
    chunkLength: task.vdaf.chunkLength,
    id: task.id,
    leader: task.leader,
    helper: task.helper,
    timePrecisionSeconds: task.timePrecisionSeconds,
  });
}

/** Makes and encodes one report of `input.measurement` for `input.task`. */
export async function makeDapReport(input: DapReportInput): Promise<DapReportOutput> {
  const { task } = input;
  if (input.measurement.length !== task.vdaf.length) {
    throw new DapReportError(
      `task '${task.name}' takes ${task.vdaf.length} entries, the measurement has ${input.measurement.length}`,
    );
  }
  const client = libraryTask(task);
  client.fetch = pinnedFetch(input);
  const started = performance.now();
  try {
    const report = await client.generateReport([...input.measurement], {
      timestamp: new Date(input.timestamp),
    });
    const bytes = new Uint8Array(report.encode());
    return { bytes, ms: performance.now() - started };
  } catch (error) {
    if (error instanceof DapReportError) throw error;
    throw new DapReportError(
      `the DAP library could not make a report for task '${task.name}': ${(error as Error).message}`,
    );
  }
}
