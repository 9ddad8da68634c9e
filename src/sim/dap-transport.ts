/**
 * How the simulation's DAP tasks reach a released sum (`--dap-transport aggregators|sum`):
 *
 * - `aggregators`: every visitor's real DAP client makes a real `@divviup/dap` report and uploads
 *   it to the leader; leader and helper verify every proof, aggregate, add their noise and release
 *   (src/sim/sim-dap-deployment.ts).
 * - `sum`: the same measurements, made by the client's own encoders (src/wire/dap-measurement.ts),
 *   summed exactly, plus each aggregator's discrete Gaussian noise at the task's σ
 *   (src/eval/private-release.ts). Secret sharing and proofs change nothing in an honest batch's
 *   sum, so the released figures have the same distribution; each visitor's ledger records the
 *   report as the client would (`recordSummedReport`).
 *
 * The default picks `aggregators` for a task when the CPU it would take on this machine is at most
 * `AUTO_AGGREGATORS_LIMIT_S`, else `sum`; a task kind the DAP client does not measure yet always
 * goes through `sum`.
 */
import { dapOnceKey } from '../federated/dap-client.ts';
import { checkDapTask, measurementBits, measurementLength } from '../privacy/dap-accounting.ts';
import type { Ledger } from '../privacy/ledger.ts';
import { rhoToEpsilon } from '../privacy/rdp.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';

/** A DAP simulation step that cannot run as asked (what failed, which task, what to do). */
export class DapSimulationError extends Error {
  override readonly name = 'DapSimulationError';
}

/** Where a task's reports go. */
export type DapTransport = 'aggregators' | 'sum';

/** What `--dap-transport` asks for: one transport for every task, or the cost-based default. */
export type DapTransportRequest = DapTransport | 'auto';

/**
 * CPU of one report through the aggregators on the shared 2-core machine (Node 20): the client
 * making it (~0.3 s at 10,000 one-bit entries, bench `dap.client_report_ms`) plus both
 * aggregators verifying and aggregating it (333–374 ms at 10,000 entries, 50 ms at 1,000, bench
 * `dap.cpu_ms_per_report`; docs/dap.md). The proof's circuit grows with entries × bits.
 */
export const DAP_REPORT_CPU = { fixedMs: 30, perEntryBitMs: 0.065 } as const;

/** The default sends a task through the aggregators when its estimated CPU is at most this. */
export const AUTO_AGGREGATORS_LIMIT_S = 600;

/** The transport of one task (or of a series of tasks, such as the ranker rounds) and why. */
export interface TaskTransport {
  readonly kind: DapMeasurement['kind'];
  readonly transport: DapTransport;
  readonly reason: string;
  /** Reports the task (or series) takes if every visitor reports. */
  readonly reports: number;
  readonly entries: number;
  readonly bits: number;
  /** Estimated CPU of making and verifying them through the aggregators. */
  readonly estimatedCpuSeconds: number;
}

/** Estimated CPU seconds of `reports` reports of `entries` entries of `bits` bits. */
export function estimatedCpuSeconds(reports: number, entries: number, bits: number): number {
  return (
    (reports * (DAP_REPORT_CPU.fixedMs + DAP_REPORT_CPU.perEntryBitMs * entries * bits)) / 1000
  );
}

/**
 * Why the DAP client (src/federated/dap-client.ts) makes no report of this kind yet, or null when
 * it does. Update with the client.
 */
export function clientGap(kind: DapMeasurement['kind']): string | null {
  switch (kind) {
    case 'item-histogram':
    case 'ranker-update':
      return null;
    case 'pair-counts':
    case 'model-evaluation':
      return `the DAP client makes no '${kind}' reports yet`;
    default: {
      const never: never = kind;
      return `unknown measurement ${String(never)}`;
    }
  }
}

function minutes(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** The transport of a task measuring `m` with `reports` reports, as `requested`. */
export function chooseTransport(
  requested: DapTransportRequest,
  m: DapMeasurement,
  reports: number,
  limitSeconds: number = AUTO_AGGREGATORS_LIMIT_S,
): TaskTransport {
  const entries = measurementLength(m);
  const bits = measurementBits(m);
  const cpu = estimatedCpuSeconds(reports, entries, bits);
  const base = { kind: m.kind, reports, entries, bits, estimatedCpuSeconds: cpu };
  const estimate = `estimated CPU through the aggregators ${minutes(cpu)} (${reports} reports × ${entries} entries × ${bits} bits)`;
  const gap = clientGap(m.kind);
  if (gap !== null)
    return { ...base, transport: 'sum', reason: `${gap}: exact sum + both aggregators' noise` };
  if (requested !== 'auto')
    return { ...base, transport: requested, reason: `--dap-transport ${requested}; ${estimate}` };
  return cpu <= limitSeconds
    ? { ...base, transport: 'aggregators', reason: `${estimate} ≤ ${minutes(limitSeconds)}` }
    : { ...base, transport: 'sum', reason: `${estimate} > ${minutes(limitSeconds)}` };
}

/**
 * Records a visitor's report to `task` that the sum transport adds without sending: checked and
 * accounted as the DAP client does (the task's ρ, consent required, once per task and window), so
 * the ledger ends where the client's would.
 */
export async function recordSummedReport(ledger: Ledger, task: DapTask): Promise<void> {
  const rho = checkDapTask(task);
  const { delta } = ledger.caps;
  const epsilon = rhoToEpsilon(rho, delta);
  await ledger.record(
    {
      at: Date.now(),
      kind: 'dap-report',
      rho,
      epsilon,
      delta,
      bytes: 0,
      summary: `DAP report for task '${task.name}' (${task.measurement.kind}, ${task.vdaf.length} entries), summed by the simulation's sum transport: ρ = ${rho.toPrecision(3)}, ε = ${epsilon.toFixed(2)} at δ = ${delta}`,
    },
    { requireConsent: true, once: dapOnceKey(task) },
  );
}
