/**
 * DAP-09 collection messages: the collector's request for a batch (a time interval), the leader's
 * request for the helper's aggregate share (with the report count and checksum both must agree
 * on), the sealed aggregate share, the HPKE `info` and `aad` that bind it to the task and batch,
 * and the Collection the leader returns. Only time-interval queries are supported.
 */
import { DapDecodeError, Reader, Writer } from './tls.ts';
import {
  type AggregatorRole,
  DAP_ROLE,
  DAP_VERSION,
  type HpkeCiphertext,
  readHpkeCiphertext,
  writeHpkeCiphertext,
} from './upload.ts';

/** A batch interval in seconds since the epoch. */
export interface Interval {
  readonly start: bigint;
  readonly duration: bigint;
}

const TIME_INTERVAL = 1;

function readInterval(r: Reader): Interval {
  const type = r.u8();
  if (type !== TIME_INTERVAL)
    throw new DapDecodeError(`${r.what} has query type ${type}; only time_interval (1)`);
  return { start: r.u64(), duration: r.u64() };
}

function writeInterval(w: Writer, i: Interval): Writer {
  return w.u8(TIME_INTERVAL).u64(i.start).u64(i.duration);
}

/** The collector's request: a batch interval (and the empty Prio3 aggregation parameter). */
export interface CollectionReq {
  readonly interval: Interval;
  readonly aggregationParameter: Uint8Array;
}

/** Encodes a CollectionReq. */
export function encodeCollectionReq(m: CollectionReq): Uint8Array<ArrayBuffer> {
  return writeInterval(new Writer(), m.interval).opaque32(m.aggregationParameter).finish();
}

/** Decodes a CollectionReq. */
export function decodeCollectionReq(bytes: Uint8Array): CollectionReq {
  const r = new Reader(bytes, 'collection request');
  const m = { interval: readInterval(r), aggregationParameter: r.opaque32() };
  r.done();
  return m;
}

/** The leader's request for the helper's aggregate share of a batch. */
export interface AggregateShareReq {
  readonly interval: Interval;
  readonly aggregationParameter: Uint8Array;
  readonly reportCount: bigint;
  /** XOR of SHA-256 of every report id in the batch (32 bytes). */
  readonly checksum: Uint8Array;
}

/** Encodes an AggregateShareReq. */
export function encodeAggregateShareReq(m: AggregateShareReq): Uint8Array<ArrayBuffer> {
  return writeInterval(new Writer(), m.interval)
    .opaque32(m.aggregationParameter)
    .u64(m.reportCount)
    .bytes(m.checksum)
    .finish();
}

/** Decodes an AggregateShareReq. */
export function decodeAggregateShareReq(bytes: Uint8Array): AggregateShareReq {
  const r = new Reader(bytes, 'aggregate share request');
  const m = {
    interval: readInterval(r),
    aggregationParameter: r.opaque32(),
    reportCount: r.u64(),
    checksum: r.bytes(32),
  };
  r.done();
  return m;
}

/** Encodes an AggregateShare (one HPKE ciphertext to the collector). */
export function encodeAggregateShare(c: HpkeCiphertext): Uint8Array<ArrayBuffer> {
  return writeHpkeCiphertext(new Writer(), c).finish();
}

/** Decodes an AggregateShare. */
export function decodeAggregateShare(bytes: Uint8Array): HpkeCiphertext {
  const r = new Reader(bytes, 'aggregate share');
  const c = readHpkeCiphertext(r);
  r.done();
  return c;
}

/** The HPKE `aad` of an aggregate share: task id, aggregation parameter, batch selector. */
export function aggregateShareAad(
  taskId: Uint8Array,
  aggregationParameter: Uint8Array,
  interval: Interval,
): Uint8Array<ArrayBuffer> {
  return writeInterval(
    new Writer().bytes(taskId).opaque32(aggregationParameter),
    interval,
  ).finish();
}

/** The HPKE `info` of an aggregate share sealed by `role` to the collector. */
export function aggregateShareInfo(role: AggregatorRole): Uint8Array<ArrayBuffer> {
  return new Writer()
    .bytes(new TextEncoder().encode(`${DAP_VERSION} aggregate share`))
    .u8(DAP_ROLE[role])
    .u8(DAP_ROLE.collector)
    .finish();
}

/** The leader's answer to a finished collection job. */
export interface Collection {
  readonly reportCount: bigint;
  /** The smallest interval, aligned to the time precision, that holds every report's time. */
  readonly interval: Interval;
  readonly leaderShare: HpkeCiphertext;
  readonly helperShare: HpkeCiphertext;
}

/** Encodes a Collection. */
export function encodeCollection(c: Collection): Uint8Array<ArrayBuffer> {
  const w = new Writer()
    .u8(TIME_INTERVAL)
    .u64(c.reportCount)
    .u64(c.interval.start)
    .u64(c.interval.duration);
  writeHpkeCiphertext(w, c.leaderShare);
  writeHpkeCiphertext(w, c.helperShare);
  return w.finish();
}

/** Decodes a Collection. */
export function decodeCollection(bytes: Uint8Array): Collection {
  const r = new Reader(bytes, 'collection');
  const type = r.u8();
  if (type !== TIME_INTERVAL)
    throw new DapDecodeError(`collection has query type ${type}; only time_interval (1)`);
  const c = {
    reportCount: r.u64(),
    interval: { start: r.u64(), duration: r.u64() },
    leaderShare: readHpkeCiphertext(r),
    helperShare: readHpkeCiphertext(r),
  };
  r.done();
  return c;
}
