/**
 * The simulated visitors of `hearth simulate --mode dap` and the two ways their reports to a task
 * become a released sum (src/sim/dap-transport.ts): through the real DAP client and both real
 * aggregators, or summed with both aggregators' noise. Every visitor has its own ledger (capped
 * at the visitor's ε, δ = 10⁻⁶), which either way records each report at the task's ρ. The
 * aggregators, the DAP clients and their report threads start only when a task needs them.
 *
 * Under the sum transport every visitor reports to every task: one with nothing the task
 * measures (no local ranking example, no pair among the cells) sends the empty report (all
 * zeros: it adds nothing to the sum and costs its ρ like any report), so every ledger ends at
 * exactly the cap. The DAP client today sends nothing then and keeps that task's share, so under
 * the aggregators transport such visitors end below the cap (counted in `dap.ledger`).
 */

import { releaseOfSum } from '../eval/private-release.ts';
import { createDapClient, type DapClient, type DapLocalData } from '../federated/dap-client.ts';
import type { Release } from '../models/cooccurrence-build.ts';
import { createPrivacyGate } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, type Ledger } from '../privacy/ledger.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import { createDapReportPool, type DapReportPool } from './dap-report-pool.ts';
import { dapTaskDocument, newTaskId } from './dap-task-document.ts';
import { DapSimulationError, recordSummedReport, type TaskTransport } from './dap-transport.ts';
import type { DapSimDeployment } from './sim-dap.ts';

/** What one task's visitors did, from the clients' outcomes (or the sum transport's count). */
export interface PhaseCounts {
  reported: number;
  skipped: number;
  failed: number;
  bytes: number;
  reportMs: number[];
}

/** A released task: its document, how it travelled, the released (noisy) sum and the counts. */
export interface TaskRelease<M extends DapMeasurement> {
  readonly task: DapTask & { readonly measurement: M };
  readonly transport: TaskTransport;
  readonly release: Release<M>;
  readonly counts: PhaseCounts;
  /** Reports the aggregators refused (0 for the sum transport). */
  readonly rejected: number;
  readonly seconds: number;
}

/** Where the sum transport's tasks say their aggregators are (nothing listens there). */
const SUM_PLACEMENT = { leader: 'http://leader.sim/dap/', helper: 'http://helper.sim/dap/' };

/** A task document as the simulation's operator publishes it: open for a day, minimum batch 2. */
export function simTask<M extends DapMeasurement>(
  placement: { readonly leader: string; readonly helper: string },
  name: string,
  measurement: M,
  rho: number,
  rng: Rng,
  now: number,
): DapTask & { readonly measurement: M } {
  const doc = dapTaskDocument(newTaskId(rng), name, measurement, rho, {
    leader: placement.leader,
    helper: placement.helper,
    window: { start: now - 60_000, end: now + 24 * 3_600_000 },
    timePrecisionSeconds: 60,
    minBatch: 2,
  });
  return { ...doc, measurement };
}

/** Runs `fn` for every index below `n`, `concurrency` at a time. */
async function eachConcurrently(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

/** Options of the visitors. */
export interface ReportingOptions {
  /** Each visitor's training user (indices of the split; repeated in a resampled population). */
  readonly visitors: readonly number[];
  /** The ledger's cap (ε, lifetime and daily); Infinity lifts it. */
  readonly epsilon: number;
  readonly delta: number;
  readonly seed: number;
  /** Threads making real reports (0: on the main thread). */
  readonly threads: number;
  /** Starts (or hands over) the two aggregators; called at most once, on the first such task. */
  readonly aggregators: () => Promise<DapSimDeployment>;
  readonly log: (message: string) => void;
}

/** The visitors, their ledgers and the two transports. */
export function createReporting(options: ReportingOptions) {
  const { visitors, log } = options;
  const cap = Number.isFinite(options.epsilon) ? options.epsilon : Number.POSITIVE_INFINITY;
  const ledgers: Ledger[] = visitors.map(() =>
    createLedger({
      storage: createMemoryLedgerStorage({ consent: true }),
      caps: { dailyEpsilon: cap, lifetimeEpsilon: cap, delta: options.delta },
    }),
  );
  // The client's randomness (stochastic rounding of ranker deltas): one generator per visitor,
  // the same seed in both transports, so the same visitor rounds the same way in either.
  const rngs = new Map<number, Rng>();
  const visitorRng = (v: number): Rng => {
    let rng = rngs.get(v);
    if (rng === undefined) {
      rng = seededRng(options.seed * 100_003 + v);
      rngs.set(v, rng);
    }
    return rng;
  };
  let started: Promise<{
    deployment: DapSimDeployment;
    clients: DapClient[];
    pool: DapReportPool;
  }> | null = null;
  const real = () => {
    started ??= (async () => {
      const deployment = await options.aggregators();
      const pool = createDapReportPool(options.threads);
      const clients = visitors.map((_, v) =>
        createDapClient({
          gate: createPrivacyGate({ ledger: ledgers[v]!, fetch: deployment.fetch, consent: true }),
          ledger: ledgers[v]!,
          server: deployment.server,
          helper: deployment.helper,
          rng: visitorRng(v),
          makeReport: pool.make,
          now: () => deployment.now(),
        }),
      );
      return { deployment, clients, pool };
    })();
    return started;
  };
  let taskSeed = 0;

  /** Reports of every visitor through the real clients to both aggregators; the released sum. */
  const throughAggregators = async <M extends DapMeasurement>(
    name: string,
    measurement: M,
    rho: number,
    transport: TaskTransport,
    rng: Rng,
    local: (user: number) => DapLocalData,
  ): Promise<TaskRelease<M>> => {
    const { deployment, clients, pool } = await real();
    const task = simTask(deployment, name, measurement, rho, rng, deployment.now());
    await deployment.openTask(task);
    const t0 = performance.now();
    const counts: PhaseCounts = { reported: 0, skipped: 0, failed: 0, bytes: 0, reportMs: [] };
    const step = Math.max(1, Math.ceil(visitors.length / 20));
    let done = 0;
    await eachConcurrently(
      clients.length,
      Math.max(2, 2 * Math.max(1, pool.threads) + 2),
      async (v) => {
        const user = visitors[v]!;
        for (const out of await clients[v]!.contribute(async () => local(user))) {
          // Earlier tasks are still listed (their windows closed): only this one's outcome counts.
          if (out.task !== task.id) continue;
          counts[out.kind]++;
          if (out.kind === 'reported') {
            counts.bytes += out.bytes;
            counts.reportMs.push(out.reportMs);
          }
        }
        if (++done % step === 0 || done === visitors.length)
          log(
            `${name}: ${done}/${visitors.length} visitors (${counts.reported} reports, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
          );
      },
    );
    const collected = await deployment.collect(task);
    const sum = await deployment.released(task);
    return {
      task,
      transport,
      release: {
        taskId: task.id,
        measurement,
        sigma: task.noise.sigma,
        rho: task.noise.rho,
        reports: collected.reports,
        sum,
      },
      counts,
      rejected: collected.rejected,
      seconds: (performance.now() - t0) / 1000,
    };
  };

  /** The exact sum of the visitors' reports plus both aggregators' noise; ledgers charged. */
  const throughSum = async <M extends DapMeasurement>(
    name: string,
    measurement: M,
    rho: number,
    transport: TaskTransport,
    rng: Rng,
    exact: () => ArrayLike<number>,
  ): Promise<TaskRelease<M>> => {
    const t0 = performance.now();
    const task = simTask(SUM_PLACEMENT, name, measurement, rho, rng, Date.now());
    for (const ledger of ledgers) await recordSummedReport(ledger, task);
    const release = releaseOfSum(
      task.id,
      measurement,
      rho,
      exact(),
      visitors.length,
      options.seed * 1_000 + ++taskSeed,
    );
    return {
      task,
      transport,
      release,
      counts: {
        reported: visitors.length,
        skipped: 0,
        failed: 0,
        bytes: 0,
        reportMs: [],
      },
      rejected: 0,
      seconds: (performance.now() - t0) / 1000,
    };
  };

  return {
    ledgers,
    visitorRng,
    /**
     * One task over `transport`: `local` is each visitor's data for its real client, `exact` the
     * sum of the same measurements for the sum transport (only the chosen one is called).
     */
    async release<M extends DapMeasurement>(
      name: string,
      measurement: M,
      rho: number,
      transport: TaskTransport,
      rng: Rng,
      sides: {
        /** Absent for a kind the DAP client does not measure (it always goes through the sum). */
        readonly local?: (user: number) => DapLocalData;
        readonly exact: () => ArrayLike<number>;
      },
    ): Promise<TaskRelease<M>> {
      log(
        `dap: task '${name}' (${measurement.kind}) through ${transport.transport}: ${transport.reason}`,
      );
      if (transport.transport === 'sum')
        return throughSum(name, measurement, rho, transport, rng, sides.exact);
      if (sides.local === undefined)
        throw new DapSimulationError(
          `task '${name}': no visitor data for the DAP client to measure a '${measurement.kind}' report from; send it through the sum transport.`,
        );
      return throughAggregators(name, measurement, rho, transport, rng, sides.local);
    },
    /** The aggregators (started now if no task has used them yet). */
    async aggregators(): Promise<DapSimDeployment> {
      return (await real()).deployment;
    },
    /** The aggregators, when a task used them. */
    async deployment(): Promise<DapSimDeployment | null> {
      return started === null ? null : (await started).deployment;
    },
    /** Each visitor's lifetime ε spent. */
    async spent(): Promise<number[]> {
      return Promise.all(ledgers.map(async (l) => (await l.spent()).lifetime.epsilon));
    },
    async close(): Promise<void> {
      if (started !== null) await (await started).pool.close();
    },
  };
}

/** The simulation's visitors. */
export type Reporting = ReturnType<typeof createReporting>;
