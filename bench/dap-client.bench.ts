/**
 * Client-side secure-aggregation figures (Node): one DAP report of a 10,000-item histogram
 * (Prio3SumVec, 1 bit per entry, the visitor's last 20 items), made by the same wrapper the engine
 * worker uses (`makeDapReport`: sharding, proof, two HPKE seals, encoding):
 * - `dap.client_report_ms`: median of 7 reports after one warm-up;
 * - `dap.report_bytes`: the encoded report's size;
 * - `dap.client_report_chunk_length`: the Prio3 chunk length of the task measured.
 * The Chromium figure (`browser.dap_report_ms`, in the real engine worker) is in browser.bench.ts.
 */
import { Buffer } from 'buffer';
import { AeadId, CipherSuite, KdfId, KemId } from 'hpke-js';
import { HISTOGRAM_CHUNK_LENGTH, makeDapReport } from '../src/federated/dap-report.ts';
import { dapSigma, measurementBits, reportSensitivity } from '../src/privacy/dap-accounting.ts';
import { DAP_TASK_VERSION, type DapTask } from '../src/protocol/dap.ts';
import { seededRng } from '../src/shared/rng.ts';
import { encodeItemHistogram } from '../src/wire/dap-measurement.ts';
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
    return {
      'dap.client_report_ms': median === null ? null : Math.round(median * 10) / 10,
      'dap.report_bytes': bytes,
      'dap.client_report_chunk_length': HISTOGRAM_CHUNK_LENGTH,
    };
  },
};

export default suite;
