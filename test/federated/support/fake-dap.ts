/**
 * A small in-memory stand-in for a DAP-09 leader and helper, for testing the client: it serves the
 * task list and each aggregator's HPKE configuration, stores uploaded reports, and "aggregates"
 * them the way the two aggregators together would (open both shares, Prio3 prepare on both sides,
 * combine, aggregate, unshard), with both keys in one place and no noise. Crypto is the libraries'
 * (hpke-js, @divviup/prio3); only the byte layouts of DAP-09 are read here.
 */
import { Prio3SumVec } from '@divviup/prio3';
import { Buffer } from 'buffer';
import { AeadId, CipherSuite, KdfId, KemId } from 'hpke-js';
import type { DapTask } from '../../../src/protocol/dap.ts';

const SUITE = { kem: KemId.DhkemX25519HkdfSha256, kdf: KdfId.HkdfSha256, aead: AeadId.Aes128Gcm };
// hpke-js mutates the object it is given: a fresh copy each time.
const suite = () => new CipherSuite({ ...SUITE });

interface Keypair {
  readonly id: number;
  readonly privateKey: CryptoKey;
  readonly configList: Uint8Array;
}

async function keypair(id: number): Promise<Keypair> {
  const s = suite();
  const kp = await s.kem.generateKeyPair();
  const pk = new Uint8Array(await s.kem.serializePublicKey(kp.publicKey));
  const config = new Uint8Array(9 + pk.length);
  const view = new DataView(config.buffer);
  view.setUint8(0, id);
  view.setUint16(1, SUITE.kem);
  view.setUint16(3, SUITE.kdf);
  view.setUint16(5, SUITE.aead);
  view.setUint16(7, pk.length);
  config.set(pk, 9);
  const list = new Uint8Array(2 + config.length);
  new DataView(list.buffer).setUint16(0, config.length);
  list.set(config, 2);
  return { id, privateKey: kp.privateKey, configList: list };
}

/** Reads DAP-09's TLS-style fields in order. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new Error('truncated');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint(n: 1 | 2 | 4): number {
    return this.take(n).reduce((v, b) => v * 256 + b, 0);
  }
}

interface Ciphertext {
  readonly configId: number;
  readonly enc: Uint8Array;
  readonly payload: Uint8Array;
}

const ciphertext = (r: Reader): Ciphertext => ({
  configId: r.uint(1),
  enc: r.take(r.uint(2)),
  payload: r.take(r.uint(4)),
});

/** A decoded DAP-09 Report. */
export interface DecodedReport {
  readonly metadata: Uint8Array;
  readonly reportId: Uint8Array;
  readonly time: number;
  readonly publicShare: Uint8Array;
  readonly leader: Ciphertext;
  readonly helper: Ciphertext;
}

/** Decodes a report as the leader would (throws on a malformed one). */
export function decodeReport(bytes: Uint8Array): DecodedReport {
  const r = new Reader(bytes);
  const metadata = r.take(24);
  const publicShare = r.take(r.uint(4));
  const leader = ciphertext(r);
  const helper = ciphertext(r);
  if (r.offset !== bytes.length) throw new Error('trailing bytes');
  const time = Number(new DataView(metadata.buffer, metadata.byteOffset + 16, 8).getBigUint64(0));
  return { metadata, reportId: metadata.subarray(0, 16), time, publicShare, leader, helper };
}

const info = (role: 2 | 3) => new Uint8Array([...Buffer.from('dap-09 input share'), 1, role]);

/** The fake's options: the task documents it publishes and where it lives. */
export interface FakeDapOptions {
  readonly server: string;
  readonly leader: string;
  readonly helper: string;
  readonly tasks: readonly DapTask[];
  /** Where other requests go (e.g. the real thin server's app for `/v1/model`). */
  readonly fallback?: (url: string, init: RequestInit) => Promise<Response>;
}

/** A request the fake received. */
export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly bytes: number;
  readonly init: RequestInit;
}

/** Creates the fake leader + helper (+ the task list of the thin server). */
export async function createFakeDap(options: FakeDapOptions) {
  const keys = { leader: await keypair(1), helper: await keypair(2) };
  const reports = new Map<string, Uint8Array[]>();
  const requests: FakeRequest[] = [];
  const verifyKey = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));

  const fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    const body = init.body instanceof Uint8Array ? init.body : undefined;
    requests.push({ method, url, bytes: body?.byteLength ?? 0, init });
    if (method === 'GET' && url === new URL('v1/dap/tasks', options.server).href)
      return Response.json({ v: 1, tasks: options.tasks });
    for (const role of ['leader', 'helper'] as const) {
      if (method === 'GET' && url.startsWith(new URL('hpke_config?', options[role]).href)) {
        return new Response(new Uint8Array(keys[role].configList), {
          headers: { 'content-type': 'application/dap-hpke-config-list' },
        });
      }
    }
    const upload = /\/tasks\/([A-Za-z0-9_-]{43})\/reports$/.exec(url);
    if (method === 'PUT' && upload !== null && url.startsWith(options.leader) && body) {
      decodeReport(body);
      const id = upload[1] ?? '';
      reports.set(id, [...(reports.get(id) ?? []), new Uint8Array(body)]);
      return new Response(null, { status: 201 });
    }
    if (options.fallback !== undefined) return options.fallback(url, init);
    return new Response('not found', { status: 404 });
  };

  /** Opens one share and returns the Prio3 input share (leader: vectors; helper: expanded seeds). */
  const openShare = async (
    vdaf: Prio3SumVec,
    task: DapTask,
    report: DecodedReport,
    role: 'leader' | 'helper',
  ) => {
    const ct = report[role];
    const idBytes = Buffer.from(task.id, 'base64url');
    const aad = new Uint8Array(32 + 24 + 4 + report.publicShare.length);
    aad.set(idBytes, 0);
    aad.set(report.metadata, 32);
    new DataView(aad.buffer).setUint32(56, report.publicShare.length);
    aad.set(report.publicShare, 60);
    const plain = new Uint8Array(
      await suite().open(
        { recipientKey: keys[role].privateKey, enc: ct.enc, info: info(role === 'leader' ? 2 : 3) },
        ct.payload,
        aad,
      ),
    );
    const r = new Reader(plain);
    if (r.uint(2) !== 0) throw new Error('extensions');
    const payload = r.take(r.uint(4));
    const field = vdaf.flp.field;
    const seed = vdaf.xof.seedSize;
    if (role === 'leader') {
      const m = vdaf.flp.measurementLen * field.encodedSize;
      const p = vdaf.flp.proofLen * vdaf.proofs * field.encodedSize;
      const wireMeasurementShare = Buffer.from(payload.subarray(0, m));
      const wireProofShare = Buffer.from(payload.subarray(m, m + p));
      return {
        measurementShare: field.decode(wireMeasurementShare),
        proofsShare: field.decode(wireProofShare),
        wireMeasurementShare,
        wireProofShare,
        blind: Buffer.from(payload.subarray(m + p)),
      };
    }
    const wireMeasurementShare = Buffer.from(payload.subarray(0, seed));
    const wireProofShare = Buffer.from(payload.subarray(seed, 2 * seed));
    return {
      // VDAF-08 §7.2: usage 1 = measurement share, 2 = proof share; binder = [aggId] / [proofs, aggId].
      measurementShare: await vdaf.xof.expandIntoVec(
        field,
        wireMeasurementShare,
        vdaf.domainSeparationTag(1),
        Uint8Array.of(1),
        vdaf.flp.measurementLen,
      ),
      proofsShare: await vdaf.xof.expandIntoVec(
        field,
        wireProofShare,
        vdaf.domainSeparationTag(2),
        Uint8Array.of(vdaf.proofs, 1),
        vdaf.flp.proofLen * vdaf.proofs,
      ),
      wireMeasurementShare,
      wireProofShare,
      blind: Buffer.from(payload.subarray(2 * seed)),
    };
  };

  const publicShare = (bytes: Uint8Array) => ({
    jointRandParts: [Buffer.from(bytes.subarray(0, 16)), Buffer.from(bytes.subarray(16, 32))],
  });

  /** Verifies and sums every stored report of `task` (both aggregators' work, no noise). */
  const aggregate = async (
    task: DapTask,
  ): Promise<{ sum: number[]; count: number; rejected: number }> => {
    const vdaf = new Prio3SumVec({ shares: 2, ...task.vdaf });
    let total = vdaf.aggregate(null, []);
    let count = 0;
    let rejected = 0;
    for (const bytes of reports.get(task.id) ?? []) {
      try {
        const report = decodeReport(bytes);
        const nonce = Buffer.from(report.reportId);
        const [l, h] = [
          await vdaf.prepareInit(
            verifyKey,
            0,
            null,
            nonce,
            publicShare(report.publicShare),
            await openShare(vdaf, task, report, 'leader'),
          ),
          await vdaf.prepareInit(
            verifyKey,
            1,
            null,
            nonce,
            publicShare(report.publicShare),
            await openShare(vdaf, task, report, 'helper'),
          ),
        ];
        const message = await vdaf.unshardPreparationShares(null, [
          l.preparationShare,
          h.preparationShare,
        ]);
        const outputs = [l, h].map((s) => vdaf.prepareNext(s.preparationState, message));
        const shares = outputs.map((o) => ('outputShare' in o ? o.outputShare : null));
        if (shares[0] == null || shares[1] == null) throw new Error('no output share');
        total = vdaf.aggregate(null, [total, vdaf.aggregate(null, [shares[0], shares[1]])]);
        count++;
      } catch {
        rejected++;
      }
    }
    // Both output shares were folded into one aggregate: unshard it against a zero share.
    const sum = vdaf.unshard(null, [total, vdaf.aggregate(null, [])], count);
    return { sum, count, rejected };
  };

  return {
    fetch,
    requests,
    reports,
    aggregate,
    hpkeConfig: (role: 'leader' | 'helper') => keys[role].configList,
  };
}
