/**
 * Secure-aggregation throughput (Node): the leader (the thin-server app in the leader role) and
 * the helper run in this process, each with its own Prio3 worker thread (so on 2 cores each
 * aggregator has one), SQLite files with `synchronous = FULL`, the leader reaching the helper
 * through `helperApp.request`. Reports are made beforehand with `@divviup/dap`'s Task (the client's
 * cost is not in the figures). Figures:
 *   dap.aggregator_reports_per_s        reports verified and aggregated by both per second, from the
 *                                       first upload to the last commit (10,000 entries, chunk 200)
 *   dap.aggregator_reports_per_s_1000   the same at 1,000 entries (chunk 32)
 *   dap.collection_ms(_1000)            POST /v1/admin/dap/collect: helper share with its noise,
 *                                       leader noise, HPKE, unshard, publication
 *   dap.prep_ms_per_report_{leader,helper}  worker CPU per report, and the stage profile
 *                                       dap.profile_{leader,helper}_<stage>_ms (per report)
 *   dap.aggregator_reports_per_s_ceiling  1000 / max(leader, helper) ms: the rate with both cores
 *                                       busy all the time (perfect pipelining)
 *   dap.cpu_ms_per_report, dap.aggregator_reports_per_s_2_free_cores  CPU time of the process (all
 *                                       threads) per report, and 2000 / that: the rate on two cores
 *                                       nobody else uses (the machine is shared; wall figures vary)
 *   dap.aggregator_reports_per_s_chunk{100,200,400}  the chunk-length sweep at 10,000 entries
 *                                       (20 reports, jobs of 5, worker threads)
 *   dap.aggregator_reports_per_s_in_thread  the same at chunk 200 with both engines on the main
 *                                       thread (no worker threads)
 *   dap.noise_10k_ms                    10,000 discrete Gaussian draws (σ = 40) from the CSPRNG
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Task } from '@divviup/dap';
import { dapRho, reportSensitivity } from '../src/privacy/dap-accounting.ts';
import { cryptoRandomBelow, sampleDiscreteGaussians } from '../src/privacy/discrete-gaussian.ts';
import type { DapTask } from '../src/protocol/dap.ts';
import { buildApp } from '../src/server/app.ts';
import { createHelperApp } from '../src/server/dap/helper.ts';
import {
  createPrepCore,
  newStageTimes,
  type PrepEngine,
  type StageTimes,
} from '../src/server/dap/prep-core.ts';
import { createPrepWorker } from '../src/server/dap/prep-engine.ts';
import { openDapStorage } from '../src/server/dap/storage.ts';
import { openServerStorage } from '../src/server/storage.ts';
import { seededRng } from '../src/shared/rng.ts';
import { base64url } from '../src/wire/dap/tls.ts';
import type { BenchFigures, BenchSuite } from './types.ts';

const TOKEN = 'bench-dap-admin-token-0123456789abcdef';
const PEER = 'bench-dap-peer-token-0123456789abcdefgh';
const LEADER = 'http://leader.bench/dap/';
const HELPER = 'http://helper.bench/dap/';
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** One measured configuration. */
interface Scenario {
  readonly length: number;
  readonly chunkLength: number;
  readonly reports: number;
  /** Reports per aggregation job: small enough that jobs overlap (leader ‖ helper). */
  readonly jobSize: number;
  readonly workers: boolean;
}

interface Outcome {
  readonly reportsPerS: number;
  /** CPU time of this process (all threads) per report while aggregating. */
  readonly cpuMsPerReport: number;
  readonly collectionMs: number;
  readonly leader: StageTimes;
  readonly helper: StageTimes;
  readonly reports: number;
}

function add(into: StageTimes, t: StageTimes): void {
  for (const k of Object.keys(into) as (keyof StageTimes)[]) into[k] += t[k];
}

function task(s: Scenario): DapTask {
  const measurement = {
    kind: 'item-histogram' as const,
    items: Array.from({ length: s.length }, (_, i) => `item-${i}`),
    maxItems: 20,
  };
  const sensitivity = reportSensitivity(measurement);
  const sigma = 10;
  return {
    v: 1,
    id: base64url(new Uint8Array(32).fill(s.chunkLength % 251)),
    name: 'bench popularity',
    measurement,
    vdaf: { type: 'sumVec', length: s.length, bits: 1, chunkLength: s.chunkLength },
    noise: { mechanism: 'discrete-gaussian', sigma, sensitivity, rho: dapRho(sensitivity, sigma) },
    window: { start: T0, end: T0 + 24 * HOUR },
    timePrecisionSeconds: 3600,
    minBatch: 2,
    leader: LEADER,
    helper: HELPER,
  };
}

async function run(s: Scenario, log: (m: string) => void): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-dap-bench-'));
  const clock = { now: T0 + HOUR };
  const now = () => clock.now;
  const engines: PrepEngine[] = s.workers
    ? [createPrepWorker(), createPrepWorker()]
    : [createPrepCore(), createPrepCore()];
  const [leaderEngine, helperEngine] = engines as [PrepEngine, PrepEngine];
  const leaderTimes = newStageTimes();
  const helperTimes = newStageTimes();
  const helperStorage = openDapStorage(join(dir, 'helper.db'));
  const helperApp = createHelperApp({
    storage: helperStorage,
    engine: helperEngine,
    peerToken: PEER,
    now,
    onJob: ({ times }) => add(helperTimes, times),
  });
  const serverStorage = openServerStorage(join(dir, 'leader.db'));
  const { app, dap } = buildApp({
    storage: serverStorage,
    adminToken: TOKEN,
    now,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    dap: {
      engine: leaderEngine,
      helperUrl: HELPER,
      peerToken: PEER,
      helperFetch: async (url, init) => helperApp.request(url, init),
      jobSize: s.jobSize,
      reportsPerAddress: 1e9,
      onJob: ({ times }) => add(leaderTimes, times),
    },
  });
  const clientFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return url.startsWith(HELPER) ? helperApp.request(url, init) : app.request(url, init);
  };
  try {
    const doc = task(s);
    const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await app.request('/v1/admin/dap/tasks', {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify(doc),
    });
    const client = new Task({
      type: 'sumVec',
      length: s.length,
      bits: 1,
      chunkLength: s.chunkLength,
      id: doc.id,
      leader: LEADER,
      helper: HELPER,
      timePrecisionSeconds: 3600,
    });
    client.fetch = clientFetch;
    log(`dap: making ${s.reports} reports of ${s.length} entries (chunk ${s.chunkLength})`);
    const rng = seededRng(s.length + s.chunkLength);
    const bodies: Uint8Array<ArrayBuffer>[] = [];
    for (let r = 0; r < s.reports; r++) {
      const m = Array.from({ length: s.length }, () => (rng() < 20 / s.length ? 1 : 0));
      const report = await client.generateReport(m, { timestamp: new Date(clock.now) });
      bodies.push(new Uint8Array(report.encode()));
    }
    log(`dap: aggregating (${s.workers ? 'worker threads' : 'in thread'}, jobs of ${s.jobSize})`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const body of bodies) {
      const res = await app.request(`/dap/tasks/${doc.id}/reports`, {
        method: 'PUT',
        headers: { 'content-type': 'application/dap-report' },
        body,
      });
      if (res.status !== 201) throw new Error(`upload failed: ${await res.text()}`);
    }
    if (dap === null) throw new Error('leader role missing');
    await dap.driver.drain(doc.id);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const aggregated = dap.storage.batch(doc.id).reportCount;
    if (aggregated !== s.reports) throw new Error(`${aggregated} of ${s.reports} aggregated`);
    clock.now = T0 + 25 * HOUR;
    const c0 = performance.now();
    const res = await app.request('/v1/admin/dap/collect', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ taskId: doc.id }),
    });
    if (res.status !== 200) throw new Error(`collect failed: ${await res.text()}`);
    const collectionMs = performance.now() - c0;
    return {
      reportsPerS: s.reports / seconds,
      cpuMsPerReport: (cpu.user + cpu.system) / 1000 / s.reports,
      collectionMs,
      leader: leaderTimes,
      helper: helperTimes,
      reports: s.reports,
    };
  } finally {
    dap?.close();
    for (const e of engines) await e.close();
    serverStorage.close();
    helperStorage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function perReport(t: StageTimes, reports: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) out[k] = round(v / reports, 2);
  return out;
}

const suite: BenchSuite = {
  name: 'dap',
  async run({ log }) {
    const figures: BenchFigures = {};
    const main = await run(
      { length: 10_000, chunkLength: 200, reports: 40, jobSize: 10, workers: true },
      log,
    );
    figures['dap.aggregator_reports_per_s'] = round(main.reportsPerS, 2);
    figures['dap.collection_ms'] = Math.round(main.collectionMs);
    const leader = perReport(main.leader, main.reports);
    const helper = perReport(main.helper, main.reports);
    const leaderMs = Object.values(leader).reduce((a, b) => a + b, 0);
    const helperMs = Object.values(helper).reduce((a, b) => a + b, 0);
    figures['dap.prep_ms_per_report_leader'] = round(leaderMs);
    figures['dap.prep_ms_per_report_helper'] = round(helperMs);
    figures['dap.aggregator_reports_per_s_ceiling'] = round(1000 / Math.max(leaderMs, helperMs), 2);
    // Wall times above suffer from other jobs on the machine; CPU time does not: on two free
    // cores, with both aggregators busy all the time, the rate would be 2 cores / CPU per report.
    figures['dap.cpu_ms_per_report'] = round(main.cpuMsPerReport);
    figures['dap.aggregator_reports_per_s_2_free_cores'] = round(2000 / main.cpuMsPerReport, 2);
    for (const [k, v] of Object.entries(leader)) figures[`dap.profile_leader_${k}_ms`] = v;
    for (const [k, v] of Object.entries(helper)) figures[`dap.profile_helper_${k}_ms`] = v;

    for (const chunkLength of [100, 200, 400]) {
      const sweep = await run(
        { length: 10_000, chunkLength, reports: 20, jobSize: 5, workers: true },
        log,
      );
      figures[`dap.aggregator_reports_per_s_chunk${chunkLength}`] = round(sweep.reportsPerS, 2);
      figures[`dap.cpu_ms_per_report_chunk${chunkLength}`] = round(sweep.cpuMsPerReport);
    }
    const inThread = await run(
      { length: 10_000, chunkLength: 200, reports: 20, jobSize: 5, workers: false },
      log,
    );
    figures['dap.aggregator_reports_per_s_in_thread'] = round(inThread.reportsPerS, 2);
    figures['dap.cpu_ms_per_report_in_thread'] = round(inThread.cpuMsPerReport);

    const small = await run(
      { length: 1000, chunkLength: 32, reports: 200, jobSize: 50, workers: true },
      log,
    );
    figures['dap.aggregator_reports_per_s_1000'] = round(small.reportsPerS, 1);
    figures['dap.cpu_ms_per_report_1000'] = round(small.cpuMsPerReport, 2);
    figures['dap.aggregator_reports_per_s_1000_2_free_cores'] = round(
      2000 / small.cpuMsPerReport,
      1,
    );
    figures['dap.collection_ms_1000'] = Math.round(small.collectionMs);

    const n0 = performance.now();
    sampleDiscreteGaussians(10_000, 40, cryptoRandomBelow());
    figures['dap.noise_10k_ms'] = Math.round(performance.now() - n0);
    return figures;
  },
};

export default suite;
