/**
 * A malicious DAP client for the tampering tests: it builds DAP-09 reports itself — the library's
 * Prio3 sharding with the measurement's encoding replaced (so an entry of 2 or −1 gets a proof
 * that cannot verify), hooks to alter shares after proving, HPKE-sealed with our own helper — and
 * can lie about the report id, time, task or HPKE config id.
 */
import { randomBytes } from 'node:crypto';
import { Buffer } from 'buffer';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { hpkeSeal } from '../../../src/server/dap/hpke.ts';
import { sumVecVdaf } from '../../../src/wire/dap/prio3-codec.ts';
import { fromBase64url } from '../../../src/wire/dap/tls.ts';
import {
  decodeHpkeConfigList,
  encodePlaintextInputShare,
  encodeReport,
  type HpkeConfig,
  inputShareAad,
  inputShareInfo,
} from '../../../src/wire/dap/upload.ts';

/** Where the forger sends: a fetch that reaches both aggregators. */
export type ClientFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** How to bend one report. */
export interface Forgery {
  /** Measurement entries as integers (a negative one enters as its field representative). */
  readonly entries: readonly number[];
  /** Prio3 parameters to shard with (default: the task's). */
  readonly vdaf?: DapTask['vdaf'];
  /** Alters the encoded shares after proving. */
  readonly tamper?: (shares: { publicShare: Buffer; leader: Buffer; helper: Buffer }) => void;
  readonly reportId?: Uint8Array;
  /** Report time in ms (rounded down to the time precision). */
  readonly timeMs?: number;
  /** Task id the shares are bound to (default: the task's). */
  readonly sealedForTask?: string;
  /** Config id written on the leader's ciphertext. */
  readonly leaderConfigId?: number;
}

async function configOf(fetch: ClientFetch, base: string, taskId: string): Promise<HpkeConfig> {
  const res = await fetch(`${base}hpke_config?task_id=${taskId}`);
  const config = decodeHpkeConfigList(new Uint8Array(await res.arrayBuffer()))[0];
  if (config === undefined) throw new Error(`no HPKE config at ${base}`);
  return config;
}

/** Builds one report body for `task` as `forgery` says. */
export async function forgeReport(
  fetch: ClientFetch,
  task: DapTask,
  forgery: Forgery,
): Promise<{ body: Uint8Array<ArrayBuffer>; reportId: Uint8Array }> {
  const vdaf = sumVecVdaf(forgery.vdaf ?? task.vdaf);
  const field = vdaf.flp.field;
  // Skip the client-side range check: encode each integer straight into the field.
  Object.assign(vdaf.flp, {
    encode: (m: readonly number[]) => m.map((x) => (x < 0 ? field.sub(0n, BigInt(-x)) : BigInt(x))),
  });
  const reportId = forgery.reportId ?? new Uint8Array(randomBytes(16));
  const tp = task.timePrecisionSeconds;
  const time = BigInt(Math.floor((forgery.timeMs ?? Date.now()) / 1000 / tp) * tp);
  const sharded = await vdaf.shardEncoded(
    [...forgery.entries],
    Buffer.from(reportId),
    Buffer.from(randomBytes(vdaf.randSize)),
  );
  const shares = {
    publicShare: sharded.publicShare,
    leader: sharded.inputShares[0] ?? Buffer.alloc(0),
    helper: sharded.inputShares[1] ?? Buffer.alloc(0),
  };
  forgery.tamper?.(shares);
  const boundTask = fromBase64url(forgery.sealedForTask ?? task.id) ?? new Uint8Array(32);
  const metadata = { reportId, time };
  const aad = inputShareAad(boundTask, metadata, shares.publicShare);
  const leaderConfig = await configOf(fetch, task.leader, task.id);
  const helperConfig = await configOf(fetch, task.helper, task.id);
  const leaderShare = await hpkeSeal(
    leaderConfig,
    encodePlaintextInputShare(shares.leader),
    inputShareInfo('leader'),
    aad,
  );
  const helperShare = await hpkeSeal(
    helperConfig,
    encodePlaintextInputShare(shares.helper),
    inputShareInfo('helper'),
    aad,
  );
  const body = encodeReport({
    metadata,
    publicShare: shares.publicShare,
    leaderShare: { ...leaderShare, configId: forgery.leaderConfigId ?? leaderShare.configId },
    helperShare,
  });
  return { body, reportId };
}

/** PUTs a report body to the leader. */
export function upload(
  fetch: ClientFetch,
  task: DapTask,
  body: Uint8Array<ArrayBuffer>,
  taskId = task.id,
): Promise<Response> {
  return fetch(`${task.leader}tasks/${taskId}/reports`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dap-report' },
    body,
  });
}

/** Adds 1 to field element `index` of a vector of 16-byte Field128 elements inside `bytes`. */
export function bumpElement(bytes: Buffer, index: number, vdafOf: DapTask['vdaf']): void {
  const field = sumVecVdaf(vdafOf).flp.field;
  const at = index * field.encodedSize;
  const [value] = field.decode(bytes.subarray(at, at + field.encodedSize));
  bytes.set(field.encode([field.add(value ?? 0n, 1n)]), at);
}
