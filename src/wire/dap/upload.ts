/**
 * DAP-09 (draft-ietf-ppm-dap-09) upload messages, as `@divviup/dap` 0.9 writes them: the report,
 * its HPKE ciphertexts, the plaintext input share inside them, the HPKE `info` and `aad` strings
 * that bind a share to its task and report, and the HPKE configuration list an aggregator
 * publishes. The library encodes these on the client; an aggregator needs to decode them.
 */
import { DapDecodeError, Reader, Writer } from './tls.ts';

/** The DAP draft these messages follow (also the prefix of every HPKE `info` string). */
export const DAP_VERSION = 'dap-09';

/** Media types of DAP-09 request and response bodies. */
export const DAP_MEDIA = {
  hpkeConfigList: 'application/dap-hpke-config-list',
  report: 'application/dap-report',
  aggregationJobInitReq: 'application/dap-aggregation-job-init-req',
  aggregationJobResp: 'application/dap-aggregation-job-resp',
  aggregateShareReq: 'application/dap-aggregate-share-req',
  aggregateShare: 'application/dap-aggregate-share',
  collectReq: 'application/dap-collect-req',
  collection: 'application/dap-collection',
  problem: 'application/problem+json',
} as const;

/** Protocol roles as DAP numbers them (they enter the HPKE `info` strings). */
export const DAP_ROLE = { collector: 0, client: 1, leader: 2, helper: 3 } as const;

/** The aggregator roles. */
export type AggregatorRole = 'leader' | 'helper';

/** An HPKE ciphertext: the recipient's config id, the encapsulated key and the sealed payload. */
export interface HpkeCiphertext {
  readonly configId: number;
  readonly enc: Uint8Array;
  readonly payload: Uint8Array;
}

/** Reads an HpkeCiphertext. */
export function readHpkeCiphertext(r: Reader): HpkeCiphertext {
  return { configId: r.u8(), enc: r.opaque16(), payload: r.opaque32() };
}

/** Writes an HpkeCiphertext. */
export function writeHpkeCiphertext(w: Writer, c: HpkeCiphertext): Writer {
  return w.u8(c.configId).opaque16(c.enc).opaque32(c.payload);
}

/** Public metadata of a report: a 16-byte random id (also the VDAF nonce) and a time in seconds. */
export interface ReportMetadata {
  readonly reportId: Uint8Array;
  readonly time: bigint;
}

/** Reads ReportMetadata. */
export function readReportMetadata(r: Reader): ReportMetadata {
  return { reportId: r.bytes(16), time: r.u64() };
}

/** Writes ReportMetadata. */
export function writeReportMetadata(w: Writer, m: ReportMetadata): Writer {
  if (m.reportId.length !== 16)
    throw new DapDecodeError(`a report id has 16 bytes, got ${m.reportId.length}`);
  return w.bytes(m.reportId).u64(m.time);
}

/** A client's report: metadata, the VDAF public share, one sealed input share per aggregator. */
export interface Report {
  readonly metadata: ReportMetadata;
  readonly publicShare: Uint8Array;
  readonly leaderShare: HpkeCiphertext;
  readonly helperShare: HpkeCiphertext;
}

/** Decodes a Report (the body of PUT {leader}/tasks/{id}/reports). */
export function decodeReport(bytes: Uint8Array): Report {
  const r = new Reader(bytes, 'report');
  const report = {
    metadata: readReportMetadata(r),
    publicShare: r.opaque32(),
    leaderShare: readHpkeCiphertext(r),
    helperShare: readHpkeCiphertext(r),
  };
  r.done();
  return report;
}

/** Encodes a Report (tests and tools that play a client). */
export function encodeReport(report: Report): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  writeReportMetadata(w, report.metadata).opaque32(report.publicShare);
  writeHpkeCiphertext(w, report.leaderShare);
  writeHpkeCiphertext(w, report.helperShare);
  return w.finish();
}

/** The HPKE `aad` of an input share: task id, report metadata and public share. */
export function inputShareAad(
  taskId: Uint8Array,
  metadata: ReportMetadata,
  publicShare: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (taskId.length !== 32)
    throw new DapDecodeError(`a task id has 32 bytes, got ${taskId.length}`);
  return writeReportMetadata(new Writer().bytes(taskId), metadata).opaque32(publicShare).finish();
}

const ascii = (text: string) => new TextEncoder().encode(text);

/** The HPKE `info` of an input share sealed by the client to `role`. */
export function inputShareInfo(role: AggregatorRole): Uint8Array<ArrayBuffer> {
  return new Writer()
    .bytes(ascii(`${DAP_VERSION} input share`))
    .u8(DAP_ROLE.client)
    .u8(DAP_ROLE[role])
    .finish();
}

/** A decrypted input share: extensions (the client library never sends any) and the VDAF share. */
export interface PlaintextInputShare {
  readonly extensions: readonly { readonly type: number; readonly data: Uint8Array }[];
  readonly payload: Uint8Array;
}

/** Decodes a PlaintextInputShare. */
export function decodePlaintextInputShare(bytes: Uint8Array): PlaintextInputShare {
  const r = new Reader(bytes, 'plaintext input share');
  const extensions = r.vector(2, (x) => ({ type: x.u16(), data: x.opaque16() }));
  const payload = r.opaque32();
  r.done();
  return { extensions, payload };
}

/** Encodes a PlaintextInputShare without extensions (tests that play a client). */
export function encodePlaintextInputShare(payload: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Writer().vector(2, []).opaque32(payload).finish();
}

/** One HPKE configuration an aggregator (or the collector) publishes. */
export interface HpkeConfig {
  readonly id: number;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly publicKey: Uint8Array;
}

function writeHpkeConfig(w: Writer, c: HpkeConfig): Writer {
  return w.u8(c.id).u16(c.kemId).u16(c.kdfId).u16(c.aeadId).opaque16(c.publicKey);
}

function readHpkeConfig(r: Reader): HpkeConfig {
  return { id: r.u8(), kemId: r.u16(), kdfId: r.u16(), aeadId: r.u16(), publicKey: r.opaque16() };
}

/** Encodes one HpkeConfig (how the collector's key travels to the helper). */
export function encodeHpkeConfig(config: HpkeConfig): Uint8Array<ArrayBuffer> {
  return writeHpkeConfig(new Writer(), config).finish();
}

/** Decodes one HpkeConfig. */
export function decodeHpkeConfig(bytes: Uint8Array): HpkeConfig {
  const r = new Reader(bytes, 'HPKE config');
  const config = readHpkeConfig(r);
  r.done();
  return config;
}

/** Encodes the HpkeConfigList of GET {aggregator}/hpke_config. */
export function encodeHpkeConfigList(configs: readonly HpkeConfig[]): Uint8Array<ArrayBuffer> {
  return new Writer()
    .vector(
      2,
      configs.map((c) => writeHpkeConfig(new Writer(), c).finish()),
    )
    .finish();
}

/** Decodes an HpkeConfigList. */
export function decodeHpkeConfigList(bytes: Uint8Array): HpkeConfig[] {
  const r = new Reader(bytes, 'HPKE config list');
  const configs = r.vector(2, readHpkeConfig);
  r.done();
  return configs;
}
