/**
 * DAP-09 aggregation messages between the leader and the helper: the aggregation job the leader
 * sends (one PrepareInit per report: the helper's report share and the leader's first VDAF
 * ping-pong message), the helper's answer per report, and the VDAF-08 ping-pong message that
 * carries preparation shares and messages. Prio3 prepares in one round: the leader sends
 * `initialize` with its preparation share, the helper answers `finish` with the preparation
 * message (or rejects the report), so no continuation request exists here.
 */
import { DapDecodeError, Reader, Writer } from './tls.ts';
import {
  type HpkeCiphertext,
  type ReportMetadata,
  readHpkeCiphertext,
  readReportMetadata,
  writeHpkeCiphertext,
  writeReportMetadata,
} from './upload.ts';

/** Why an aggregator rejects one report (DAP-09's PrepareError registry), by name. */
export const PREPARE_ERRORS = [
  'batch_collected',
  'report_replayed',
  'report_dropped',
  'hpke_unknown_config_id',
  'hpke_decrypt_error',
  'vdaf_prep_error',
  'batch_saturated',
  'task_expired',
  'invalid_message',
  'report_too_early',
] as const;

/** A PrepareError name; its wire code is its index in PREPARE_ERRORS. */
export type PrepareError = (typeof PREPARE_ERRORS)[number];

/** The wire code of a PrepareError. */
export function prepareErrorCode(error: PrepareError): number {
  return PREPARE_ERRORS.indexOf(error);
}

/** The PrepareError of a wire code. */
export function prepareErrorOf(code: number): PrepareError {
  const name = PREPARE_ERRORS[code];
  if (name === undefined) throw new DapDecodeError(`unknown prepare error code ${code}`);
  return name;
}

/** The helper's part of a report, as the leader forwards it. */
export interface ReportShare {
  readonly metadata: ReportMetadata;
  readonly publicShare: Uint8Array;
  readonly encryptedInputShare: HpkeCiphertext;
}

/** One report of an aggregation job: the helper's share and the leader's ping-pong message. */
export interface PrepareInit {
  readonly reportShare: ReportShare;
  readonly payload: Uint8Array;
}

/** The leader's aggregation job (time-interval tasks only: the batch selector is empty). */
export interface AggregationJobInitReq {
  readonly aggregationParameter: Uint8Array;
  readonly prepareInits: readonly PrepareInit[];
}

const TIME_INTERVAL = 1;

/** Encodes one PrepareInit (the leader builds a job from these). */
export function encodePrepareInit(p: PrepareInit): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  writeReportMetadata(w, p.reportShare.metadata).opaque32(p.reportShare.publicShare);
  writeHpkeCiphertext(w, p.reportShare.encryptedInputShare);
  return w.opaque32(p.payload).finish();
}

/** Encodes an AggregationJobInitReq from already encoded PrepareInits. */
export function encodeAggregationJobInitReq(
  aggregationParameter: Uint8Array,
  prepareInits: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  return new Writer()
    .opaque32(aggregationParameter)
    .u8(TIME_INTERVAL)
    .vector(4, prepareInits)
    .finish();
}

/** Decodes an AggregationJobInitReq; only time-interval jobs are accepted. */
export function decodeAggregationJobInitReq(bytes: Uint8Array): AggregationJobInitReq {
  const r = new Reader(bytes, 'aggregation job');
  const aggregationParameter = r.opaque32();
  const queryType = r.u8();
  if (queryType !== TIME_INTERVAL)
    throw new DapDecodeError(`aggregation job has query type ${queryType}; only time_interval (1)`);
  const prepareInits = r.vector(4, (x) => ({
    reportShare: {
      metadata: readReportMetadata(x),
      publicShare: x.opaque32(),
      encryptedInputShare: readHpkeCiphertext(x),
    },
    payload: x.opaque32(),
  }));
  r.done();
  return { aggregationParameter, prepareInits };
}

/** The helper's answer for one report. */
export type PrepareResp =
  | { readonly reportId: Uint8Array; readonly kind: 'continue'; readonly payload: Uint8Array }
  | { readonly reportId: Uint8Array; readonly kind: 'finished' }
  | { readonly reportId: Uint8Array; readonly kind: 'reject'; readonly error: PrepareError };

const RESP_STATE = { continue: 0, finished: 1, reject: 2 } as const;

/** Encodes an AggregationJobResp. */
export function encodeAggregationJobResp(resps: readonly PrepareResp[]): Uint8Array<ArrayBuffer> {
  const items = resps.map((p) => {
    const w = new Writer().bytes(p.reportId).u8(RESP_STATE[p.kind]);
    if (p.kind === 'continue') w.opaque32(p.payload);
    else if (p.kind === 'reject') w.u8(prepareErrorCode(p.error));
    return w.finish();
  });
  return new Writer().vector(4, items).finish();
}

/** Decodes an AggregationJobResp. */
export function decodeAggregationJobResp(bytes: Uint8Array): PrepareResp[] {
  const r = new Reader(bytes, 'aggregation job response');
  const resps = r.vector(4, (x): PrepareResp => {
    const reportId = x.bytes(16);
    const state = x.u8();
    switch (state) {
      case RESP_STATE.continue:
        return { reportId, kind: 'continue', payload: x.opaque32() };
      case RESP_STATE.finished:
        return { reportId, kind: 'finished' };
      case RESP_STATE.reject:
        return { reportId, kind: 'reject', error: prepareErrorOf(x.u8()) };
      default:
        throw new DapDecodeError(`unknown prepare response state ${state}`);
    }
  });
  r.done();
  return resps;
}

/** The VDAF-08 ping-pong message (§5.8). */
export type PingPong =
  | { readonly kind: 'initialize'; readonly prepShare: Uint8Array }
  | { readonly kind: 'continue'; readonly prepMessage: Uint8Array; readonly prepShare: Uint8Array }
  | { readonly kind: 'finish'; readonly prepMessage: Uint8Array };

/** Encodes a ping-pong message. */
export function encodePingPong(m: PingPong): Uint8Array<ArrayBuffer> {
  switch (m.kind) {
    case 'initialize':
      return new Writer().u8(0).opaque32(m.prepShare).finish();
    case 'continue':
      return new Writer().u8(1).opaque32(m.prepMessage).opaque32(m.prepShare).finish();
    case 'finish':
      return new Writer().u8(2).opaque32(m.prepMessage).finish();
    default: {
      const never: never = m;
      throw new DapDecodeError(`unknown ping-pong message ${JSON.stringify(never)}`);
    }
  }
}

/** Decodes a ping-pong message. */
export function decodePingPong(bytes: Uint8Array): PingPong {
  const r = new Reader(bytes, 'ping-pong message');
  const type = r.u8();
  let m: PingPong;
  if (type === 0) m = { kind: 'initialize', prepShare: r.opaque32() };
  else if (type === 1) m = { kind: 'continue', prepMessage: r.opaque32(), prepShare: r.opaque32() };
  else if (type === 2) m = { kind: 'finish', prepMessage: r.opaque32() };
  else throw new DapDecodeError(`unknown ping-pong message type ${type}`);
  r.done();
  return m;
}
