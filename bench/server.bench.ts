/**
 * Server throughput on loopback: the real `hearth serve` runs as a child process (its own CPU),
 * autocannon drives it from this process. Figures: `server.telemetry_reports_per_s` (batches of
 * 20 OLH reports, the client's default), `server.updates_per_s` (q8 updates of the real collab
 * model size, unique ids, ingest only: k is set above the run so no aggregation interleaves),
 * `server.aggregate_ms` (one FedAvg over k = 16 real-size updates), the update size in bytes and
 * the server's RSS after the load.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collabParamCount } from '../src/federated/params.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS } from '../src/models/collab-train.ts';
import { olhEncode, olhParams } from '../src/privacy/olh.ts';
import { gaussian, seededRng } from '../src/shared/rng.ts';
import { modelUploadBody } from '../src/wire/model-upload.ts';
import { encodeUpdateFrame } from '../src/wire/update-codec.ts';
import { startServerChild } from '../support/serve-child.ts';
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
const TOKEN = 'bench-admin-token';
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

const suite: BenchSuite = {
  name: 'server',
  async run({ log }) {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-server-'));
    const { child, url } = await startServerChild(join(dir, 'server.db'), TOKEN);
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

      // Telemetry: batches of 20 OLH reports at ε = 2.
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
