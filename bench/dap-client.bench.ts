/**
 * Client-side secure-aggregation figures: one DAP report of a 10,000-item histogram
 * (Prio3SumVec, 1 bit per entry, the visitor's last 20 items), made by the wrapper the engine
 * worker uses (`makeDapReport`: sharding, proof, two HPKE seals, encoding):
 * - `dap.client_report_ms` (Node): median of 7 reports after one warm-up;
 * - `dap.report_bytes`: the encoded report's size;
 * - `dap.client_report_chunk_length`: the Prio3 chunk length of the tasks measured;
 * - `browser.dap_report_ms` (headless Chromium): the same report made in the REAL engine worker
 *   (dev server page, `Hearth.contribute()`), as the worker times it, against the two real
 *   aggregators in this process (the leader on the page's /v1 and /dap, the helper on /helper/dap):
 *   median of 5 tasks after one warm-up (one report per task and window).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Buffer } from 'buffer';
import { AeadId, CipherSuite, KdfId, KemId } from 'hpke-js';
import type { Plugin } from 'vite';
import { HISTOGRAM_CHUNK_LENGTH, makeDapReport } from '../src/federated/dap-report.ts';
import { dapSigma, measurementBits, reportSensitivity } from '../src/privacy/dap-accounting.ts';
import { DAP_TASK_VERSION, type DapTask } from '../src/protocol/dap.ts';
import { cryptoRng, seededRng } from '../src/shared/rng.ts';
import { dapTaskDocument, newTaskId } from '../src/sim/dap-task-document.ts';
import { startDapDeployment } from '../src/sim/sim-dap-deployment.ts';
import { encodeItemHistogram } from '../src/wire/dap-measurement.ts';
import { startBrowserHarness } from '../support/browser-harness.ts';
import type { BenchSuite } from './types.ts';

const ITEMS = 10_000;
const REPORTS = 7;

/** An aggregator's HPKE configuration list (DAP-09 §4.5.1) with a fresh X25519 key. */
async function hpkeConfigList(id: number): Promise<Uint8Array> {
  const ids = { kem: KemId.DhkemX25519HkdfSha256, kdf: KdfId.HkdfSha256, aead: AeadId.Aes128Gcm };
  const suite = new CipherSuite({ ...ids }); // hpke-js replaces the ids in what it is given
  const pk = new Uint8Array(
    await suite.kem.serializePublicKey((await suite.kem.generateKeyPair()).publicKey),
  );
  const config = Buffer.alloc(9 + pk.length);
  config.writeUInt8(id, 0);
  config.writeUInt16BE(ids.kem, 1);
  config.writeUInt16BE(ids.kdf, 3);
  config.writeUInt16BE(ids.aead, 5);
  config.writeUInt16BE(pk.length, 7);
  config.set(pk, 9);
  const list = Buffer.alloc(2 + config.length);
  list.writeUInt16BE(config.length, 0);
  config.copy(list, 2);
  return new Uint8Array(list);
}

/** A 10,000-item histogram task as a leader would publish it. */
function histogramTask(): DapTask {
  const measurement = {
    kind: 'item-histogram' as const,
    items: Array.from({ length: ITEMS }, (_, i) => `item-${i}`),
    maxItems: 20,
  };
  const sensitivity = reportSensitivity(measurement);
  const rho = 0.2;
  return {
    v: DAP_TASK_VERSION,
    id: Buffer.alloc(32, 7).toString('base64url'),
    name: 'item popularity',
    measurement,
    vdaf: {
      type: 'sumVec',
      length: ITEMS,
      bits: measurementBits(measurement),
      chunkLength: HISTOGRAM_CHUNK_LENGTH,
    },
    noise: { mechanism: 'discrete-gaussian', sigma: dapSigma(sensitivity, rho), sensitivity, rho },
    window: { start: 0, end: 1e13 },
    timePrecisionSeconds: 3600,
    minBatch: 100,
    leader: 'https://leader.example/dap/',
    helper: 'https://helper.example/dap/',
  };
}

type Deployment = Awaited<ReturnType<typeof startDapDeployment>>;

/** Reads a Node request's body. */
async function bodyOf(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The two aggregators on the dev server's origin: `/v1/*` and `/dap/*` to the leader (thin server
 * in the leader role), `/helper/dap/*` to the helper.
 */
function aggregatorsOnThisOrigin(deployment: Deployment): Plugin {
  return {
    name: 'hearth-bench-dap',
    configureServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const path = req.url ?? '';
        const target = path.startsWith('/helper/dap/')
          ? new URL(path.slice('/helper/'.length), deployment.helper.replace(/dap\/$/, ''))
          : /^\/(v1|dap)\//.test(path)
            ? new URL(path.slice(1), deployment.server)
            : null;
        if (target === null) return next();
        void (async () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers))
            if (typeof v === 'string') headers[k] = v;
          const body = await bodyOf(req);
          const answer = await deployment.fetch(target.href, {
            method: req.method ?? 'GET',
            headers,
            ...(body === undefined ? {} : { body }),
          });
          res.statusCode = answer.status;
          for (const [k, v] of answer.headers) res.setHeader(k, v);
          res.end(Buffer.from(await answer.arrayBuffer()));
        })();
      });
    },
  };
}

/** Milliseconds the real engine worker took per 10,000-item report (median of 5 after a warm-up). */
async function browserReportMs(log: (m: string) => void): Promise<number | null> {
  const deployment = await startDapDeployment({ http: false });
  const harness = await startBrowserHarness({ plugins: [aggregatorsOnThisOrigin(deployment)] });
  try {
    const origin = harness.baseUrl;
    const now = deployment.now();
    const measurement = {
      kind: 'item-histogram' as const,
      items: Array.from({ length: ITEMS }, (_, i) => `s${i}`),
      maxItems: 20,
    };
    for (let i = 0; i < 6; i++) {
      await deployment.openTask(
        dapTaskDocument(newTaskId(cryptoRng), `popularity ${i}`, measurement, 0.02, {
          leader: `${origin}/dap/`,
          helper: `${origin}/helper/dap/`,
          window: { start: now - 60_000, end: now + 3_600_000 },
          timePrecisionSeconds: 60,
          minBatch: 2,
        }),
      );
    }
    const page = await harness.newPage();
    await page.goto(`${origin}/test/browser/pages/real-widget.html`);
    await page.waitForFunction(() => 'startHearthWith' in window);
    log('browser: 6 DAP reports of 10,000 entries in the engine worker');
    const times = await page.evaluate(
      async ({ catalog, server, helper }) => {
        type Outcome = { kind: string; reportMs?: number; reason?: string };
        type H = {
          startHearthWith(json: string, config: object): Promise<unknown>;
          Hearth: {
            track(e: { kind: string; itemId: string }): Promise<void>;
            setConsent(on: boolean): Promise<void>;
            contribute(): Promise<{ kind: string; tasks?: Outcome[]; reason?: string }>;
          };
        };
        const w = window as unknown as H;
        await w.startHearthWith(catalog, { server, helper });
        for (const id of ['s1', 's2', 's3', 's4', 's5'])
          await w.Hearth.track({ kind: 'view', itemId: id });
        await w.Hearth.setConsent(true);
        const out = await w.Hearth.contribute();
        if (out.kind !== 'dap') throw new Error(`no DAP contribution: ${out.reason}`);
        const failed = (out.tasks ?? []).filter((t) => t.kind !== 'reported');
        if (failed.length > 0)
          throw new Error(`not reported: ${failed.map((t) => t.reason).join('; ')}`);
        return (out.tasks ?? []).map((t) => t.reportMs ?? Number.NaN);
      },
      {
        catalog: JSON.stringify(
          Array.from({ length: 20 }, (_, i) => ({
            id: `s${i}`,
            title: `Book ${i}`,
            description: 'a book',
          })),
        ),
        server: `${origin}/`,
        helper: `${origin}/helper/dap/`,
      },
    );
    const measured = times.slice(1).sort((a, b) => a - b);
    return measured[Math.floor(measured.length / 2)] ?? null;
  } finally {
    await harness.close();
    await deployment.close();
  }
}

const suite: BenchSuite = {
  name: 'dap-client',
  async run({ log }) {
    const task = histogramTask();
    const hpkeConfigs = { leader: await hpkeConfigList(1), helper: await hpkeConfigList(2) };
    const rng = seededRng(5);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= REPORTS; i++) {
      const history = Array.from({ length: 40 }, () => `item-${Math.floor(rng() * ITEMS)}`);
      const measurement = encodeItemHistogram(
        task.measurement as Extract<DapTask['measurement'], { kind: 'item-histogram' }>,
        history,
      );
      const made = await makeDapReport({ task, measurement, hpkeConfigs, timestamp: Date.now() });
      bytes = made.bytes.byteLength;
      if (i > 0) times.push(made.ms);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? null;
    log(`dap-client: ${ITEMS}-item report, median ${median?.toFixed(0)} ms, ${bytes} bytes`);
    const browser = await browserReportMs(log);
    log(`dap-client: in the Chromium engine worker, median ${browser?.toFixed(0)} ms`);
    const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return {
      'dap.client_report_ms': round(median),
      'dap.report_bytes': bytes,
      'dap.client_report_chunk_length': HISTOGRAM_CHUNK_LENGTH,
      'browser.dap_report_ms': round(browser),
    };
  },
};

export default suite;
