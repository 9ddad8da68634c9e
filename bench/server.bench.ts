/**
 * Server throughput on loopback: the real `hearth serve` runs as a child process (its own CPU),
 * autocannon drives it from this process. Figures: `server.telemetry_reports_per_s` (batches of
 * 20 OLH reports, the client's default, sent after the update load while the server counts them
 * in the background over the collab model's items), `server.updates_per_s` (q8 updates of the real collab
 * model size, unique ids, ingest only: k is set above the run so no aggregation interleaves),
 * `server.aggregate_ms` (one FedAvg over k = 16 real-size updates), the update size in bytes and
 * the server's RSS after the load; the load comes from one address, so the per-address quotas
 * are lifted for it. In process: the longest event-loop block while 500 new OLH reports are
 * counted for a GET /v1/aggregates over 20k items, and the attack figures of
 * support/server-attacks.ts (how far 16 crafted uploads move a ranker weight; how many forged
 * reports put the least popular of 100 items first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collabParamCount } from '../src/federated/params.ts';
import { noiseMultiplierFor } from '../src/federated/privatize.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS } from '../src/models/collab-train.ts';
import { olhEncode, olhParams } from '../src/privacy/olh.ts';
import { noiseForRho, rhoForBudget } from '../src/privacy/rdp.ts';
import { createApp } from '../src/server/app.ts';
import { openServerStorage } from '../src/server/storage.ts';
import { gaussian, seededRng } from '../src/shared/rng.ts';
import { modelUploadBody } from '../src/wire/model-upload.ts';
import { encodeUpdateFrame } from '../src/wire/update-codec.ts';
import { startServerChild } from '../support/serve-child.ts';
import { popularityAttack, telemetryInit, weightAttack } from '../support/server-attacks.ts';
import type { BenchSuite } from './types.ts';

/** The parts of autocannon's API this bench uses (the package ships no types). */
interface CannonRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  setupRequest?: (request: CannonRequest) => CannonRequest;
}
interface CannonOptions extends CannonRequest {
  url: string;
  connections: number;
  duration: number;
  requests?: CannonRequest[];
}
interface CannonResult {
  requests: { total: number };
  non2xx: number;
  latency: { p99: number };
}
type Autocannon = (
  options: CannonOptions,
  done: (error: Error | null, result: CannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-admin-token-0123456789abcdef';
/** The load comes from one address: lift the per-address quotas for it. */
const NO_QUOTAS = ['--updates-per-address', '1000000000', '--reports-per-address', '1000000000'];
/** Items of ml-latest-small that have ratings (the collab model's rows when trained on it). */
const ML_SMALL_ITEMS = 9724;

function modelShape(): { items: number; dims: number; source: string } {
  const manifest = join(ROOT, 'models/collab/manifest.json');
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { items?: number; dims?: number };
    if (typeof m.items === 'number' && typeof m.dims === 'number')
      return { items: m.items, dims: m.dims, source: 'models/collab' };
  }
  return {
    items: ML_SMALL_ITEMS,
    dims: DEFAULT_COLLAB_TRAIN_OPTIONS.dims,
    source: 'ml-latest-small default',
  };
}

function rssMb(pid: number | undefined): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

async function load(options: CannonOptions): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Watches the event loop: a setImmediate chain notes the longest stretch between two of its
 * turns, i.e. the longest time nothing else (no other request) could run, as wall time and as
 * this process's CPU time (which a busy machine's preemption does not inflate).
 */
function loopWatch() {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let wall = 0;
  let cpu = 0;
  let on = true;
  const tick = () => {
    const t = performance.now();
    const used = process.cpuUsage(lastCpu);
    wall = Math.max(wall, t - last);
    cpu = Math.max(cpu, (used.user + used.system) / 1000);
    last = t;
    lastCpu = process.cpuUsage();
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop(): { wall: number; cpu: number } {
      on = false;
      return { wall, cpu };
    },
  };
}

/**
 * The longest event-loop block (ms) from posting 500 new OLH reports (25 batches of 20, the event
 * loop turning between them as it would between network requests) to the answer of
 * GET /v1/aggregates over a 20,000-item catalog, in process, and the GET's own time.
 */
async function aggregatesBlock(log: (message: string) => void) {
  log('server: event-loop block of GET /v1/aggregates after 500 reports at 20k items');
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: TOKEN, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  const ids = Array.from({ length: 20_000 }, (_, i) => `item-${i}`);
  await app.request('/v1/admin/catalog', {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(ids.map((id) => ({ id, title: id }))),
  });
  const rng = seededRng(3);
  const params = olhParams(2);
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const post = () =>
    app.request(
      '/v1/telemetry',
      telemetryInit(
        Array.from({ length: 20 }, () => {
          const r = olhEncode(ids[Math.floor(rng() * ids.length)] ?? '', params, rng);
          return [r.seed, r.value] as [number, number];
        }),
      ),
    );
  // Warm-up (catalog read, JIT) with one batch before the watch starts.
  await post();
  await app.request('/v1/aggregates?limit=10');
  const watch = loopWatch();
  for (let b = 0; b < 25; b++) {
    await post();
    await turn();
  }
  const t0 = performance.now();
  const res = await app.request('/v1/aggregates?limit=10');
  const body = (await res.json()) as { reports?: number };
  const getMs = performance.now() - t0;
  await turn();
  const longest = watch.stop();
  storage.close();
  return {
    'server.aggregates_event_loop_block_ms_500_reports_20k_items':
      Math.round(longest.wall * 10) / 10,
    'server.aggregates_event_loop_block_cpu_ms_500_reports_20k_items':
      Math.round(longest.cpu * 10) / 10,
    'server.aggregates_get_ms_500_reports_20k_items': Math.round(getMs),
    'server.aggregates_reports_counted': (body.reports ?? 0) - 20,
  };
}

/** The demo's ranker round (src/cli/start.ts): 10 weights, C = 0.5, one update costs ε = 0.25. */
const RANKER_ROUND = {
  length: 10,
  clipNorm: 0.5,
  noiseMultiplier: noiseMultiplierFor(noiseForRho(rhoForBudget(0.25, 1e-6))),
  minUpdates: 16,
};

/** The attack figures of issue 11 (items 10, 11), against the real app in process. */
async function attackFigures(log: (message: string) => void) {
  log('server: attacks (16 crafted updates; forged popularity reports)');
  const one = await weightAttack(RANKER_ROUND, { uploads: 16, addresses: 1 });
  const sixteen = await weightAttack(RANKER_ROUND, { uploads: 16, addresses: 16 });
  const scenario = { items: 100, honestReports: 10_000, honestPerAddress: 20, seed: 7 };
  const single = await popularityAttack(scenario, { addresses: 1, maxForged: 100_000 });
  const many = await popularityAttack(scenario, { addresses: 10_000, maxForged: 100_000 });
  return {
    'server.attack_weight_change_16_uploads_1_address': one.weightChange,
    'server.attack_weight_change_16_uploads_16_addresses': sixteen.weightChange,
    'server.attack_largest_accepted_value': one.perUpdate,
    'server.attack_forged_reports_to_first_1_address': single.reachedFirst
      ? single.forgedAccepted
      : `not reached (${single.forgedAccepted} accepted, then refused)`,
    'server.attack_forged_reports_to_first_many_addresses': many.reachedFirst
      ? many.forgedAccepted
      : null,
    'server.attack_addresses_used_many': many.addressesUsed,
  };
}

const suite: BenchSuite = {
  name: 'server',
  async run({ log }) {
    // In-process figures first, before the load leaves garbage that GC pauses would add.
    const inProcess = { ...(await aggregatesBlock(log)), ...(await attackFigures(log)) };
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-server-'));
    const { child, url } = await startServerChild(
      join(dir, 'server.db'),
      TOKEN,
      1_000_000,
      NO_QUOTAS,
    );
    try {
      const shape = modelShape();
      const length = collabParamCount(shape.items, shape.dims);
      const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const itemIds = Array.from({ length: shape.items }, (_, i) => `item-${i}`);
      // Publishing a zero model of the real size starts a fresh version.
      const publishModel = () =>
        fetch(`${url}/v1/admin/model`, {
          method: 'PUT',
          headers: admin,
          body: JSON.stringify(
            modelUploadBody('collab', new Float32Array(length), {
              kind: 'collab',
              itemIds,
              dims: shape.dims,
            }),
          ),
        });
      await publishModel();
      await fetch(`${url}/v1/admin/round`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ minUpdates: 100_000, clipNorm: 1, noiseMultiplier: 1 }),
      });

      // Telemetry: batches of 20 OLH reports at ε = 2 (sent after the update load).
      const rng = seededRng(1);
      const params = olhParams(2);
      const batch = JSON.stringify({
        v: 2,
        kind: 'telemetry',
        mechanism: 'olh',
        epsilon: 2,
        reports: Array.from({ length: 20 }, (_, i) => {
          const r = olhEncode(`item-${i}`, params, rng);
          return [r.seed, r.value];
        }),
      });

      // Updates: a noised real-size update, q8, with a fresh id per request.
      const values = Float32Array.from({ length }, () => (gaussian(rng) * 0.9) / Math.sqrt(length));
      const template = Buffer.from(
        encodeUpdateFrame(
          {
            v: 1,
            kind: 'update',
            id: 'bench-00000000000000000',
            model: 'collab',
            modelVersion: 0,
            length,
            encoding: 'q8',
          },
          values,
        ),
      );
      const idAt = template.indexOf('bench-00000000000000000');
      let counter = 0;
      log(`server: update load (10 s, 8 connections, ${template.length} bytes per update)`);
      const upd = await load({
        url: `${url}/v1/updates`,
        connections: 8,
        duration: 10,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            setupRequest: (request) => {
              const body = Buffer.from(template);
              body.write(`bench-${String(counter++).padStart(17, '0')}`, idAt, 'latin1');
              return { ...request, body };
            },
          },
        ],
      });
      const updOk = upd.requests.total - upd.non2xx;

      // After the updates: the reports' background counting (9,724 items) runs during this load
      // as it would in steady state, and leaves no backlog behind to slow the update load.
      log('server: telemetry load (10 s, 20 connections)');
      const tel = await load({
        url: `${url}/v1/telemetry`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch,
        connections: 20,
        duration: 10,
      });
      const telOk = tel.requests.total - tel.non2xx;
      const rss = rssMb(child.pid);

      // One aggregation of k = 16 real-size updates: publish a fresh version (the load's pending
      // updates become stale and are ignored), then time the request that completes the round.
      await publishModel();
      await fetch(`${url}/v1/admin/round`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ minUpdates: 16 }),
      });
      const fresh = Buffer.from(
        encodeUpdateFrame(
          {
            v: 1,
            kind: 'update',
            id: 'bench-00000000000000000',
            model: 'collab',
            modelVersion: 1,
            length,
            encoding: 'q8',
          },
          values,
        ),
      );
      const post = (i: number) => {
        const body = Buffer.from(fresh);
        body.write(`bench-agg-${String(i).padStart(13, '0')}`, idAt, 'latin1');
        return fetch(`${url}/v1/updates`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body,
        });
      };
      for (let i = 0; i < 15; i++) await post(i);
      const t0 = performance.now();
      const final = await post(15);
      if (final.status !== 202) log(`server: aggregation request answered ${final.status}`);
      const aggregateMs = performance.now() - t0;

      return {
        ...inProcess,
        'server.telemetry_reports_per_s': Math.round((telOk * 20) / 10),
        'server.telemetry_p99_ms': tel.latency.p99,
        'server.telemetry_non2xx': tel.non2xx,
        'server.updates_per_s': Math.round(updOk / 10),
        'server.updates_p99_ms': upd.latency.p99,
        'server.updates_non2xx': upd.non2xx,
        'server.update_bytes': template.length,
        'server.update_values': length,
        'server.update_model_shape': `${shape.items} items x ${shape.dims} dims (${shape.source})`,
        'server.aggregate_request_ms_k16': Math.round(aggregateMs),
        'server.rss_mb_after_load': rss,
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
