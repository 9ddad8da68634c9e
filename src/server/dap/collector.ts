/**
 * A DAP-09 collector: asks the leader for a task's batch (PUT a collection job with the batch
 * interval), polls it (POST: 202 until ready, then the Collection), opens both aggregators'
 * aggregate shares with its HPKE key, adds them through the library and reads the noisy sum as
 * signed integers (each aggregator's noise may push an entry below zero). It speaks only the DAP
 * HTTP interface, so it works against any DAP-09 leader that holds the task.
 */
import { createHash } from 'node:crypto';
import {
  aggregateShareAad,
  aggregateShareInfo,
  decodeCollection,
  encodeCollectionReq,
  type Interval,
} from '../../wire/dap/collection.ts';
import { Prio3Codec, type SumVecParams, sumVecVdaf } from '../../wire/dap/prio3-codec.ts';
import { base64url } from '../../wire/dap/tls.ts';
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import type { Fetch } from './helper-client.ts';
import { type HpkeKeypair, hpkeOpen } from './hpke.ts';

/** A collection failed: the leader's problem (window open, batch too small, …) or a transport fault. */
export class CollectError extends Error {
  override readonly name = 'CollectError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly problemType: string | null = null,
  ) {
    super(message);
  }
}

/** Where and how the collector talks to the leader. */
export interface CollectorOptions {
  /** The leader's DAP base URL (ending in '/'). */
  readonly leaderUrl: string;
  /** Bearer token the leader expects from its collector. */
  readonly token: string;
  readonly key: HpkeKeypair;
  readonly fetch?: Fetch;
  /** Poll interval when the leader gives no Retry-After; default 500 ms. */
  readonly pollMs?: number;
  /** Longest wait between polls whatever Retry-After says (an in-process collector polls fast). */
  readonly maxPollMs?: number;
  /** Give up after this long; default 30 min (a 10,000-entry batch aggregates at ~7 reports/s). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the collector needs to know of the task. */
export interface CollectTask {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly interval: Interval;
  readonly vdaf: SumVecParams;
}

/** A collected batch: report count, the reports' time span and the noisy sum per entry. */
export interface Collected {
  readonly reportCount: number;
  readonly interval: Interval;
  readonly sum: readonly bigint[];
}

/** The collection job id of a task: fixed, so a repeated collect finds the same job. */
export function collectionJobId(taskId: string): string {
  return base64url(
    createHash('sha256').update(`hearth collect ${taskId}`).digest().subarray(0, 16),
  );
}

async function problemOf(res: Response, what: string): Promise<CollectError> {
  const text = await res.text();
  let type: string | null = null;
  let detail = text;
  try {
    const p = JSON.parse(text) as { type?: string; detail?: string };
    type = p.type?.split(':').at(-1) ?? null;
    detail = p.detail ?? text;
  } catch {
    // A body that is not a problem document: report its text.
  }
  return new CollectError(`${what}: ${detail.slice(0, 500)}`, res.status, type);
}

/** Collects a task's batch from the leader and unshards it. */
export async function collect(options: CollectorOptions, task: CollectTask): Promise<Collected> {
  const doFetch: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const base = options.leaderUrl.endsWith('/') ? options.leaderUrl : `${options.leaderUrl}/`;
  const url = new URL(`tasks/${task.id}/collection_jobs/${collectionJobId(task.id)}`, base);
  const auth = { authorization: `Bearer ${options.token}` };
  const send = async (init: RequestInit) => {
    try {
      return await doFetch(url.toString(), init);
    } catch (error) {
      throw new CollectError(
        `the leader at ${base} could not be reached: ${error instanceof Error ? error.message : String(error)}`,
        null,
      );
    }
  };

  const put = await send({
    method: 'PUT',
    headers: { ...auth, 'content-type': DAP_MEDIA.collectReq },
    body: encodeCollectionReq({ interval: task.interval, aggregationParameter: new Uint8Array(0) }),
  });
  if (put.status !== 201) throw await problemOf(put, 'collection refused');

  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let body: Uint8Array | null = null;
  while (body === null) {
    const res = await send({ method: 'POST', headers: auth });
    if (res.status === 200) body = new Uint8Array(await res.arrayBuffer());
    else if (res.status === 202) {
      if (Date.now() > deadline)
        throw new CollectError(
          `task ${task.id}: the leader is still aggregating after ${options.timeoutMs ?? 1_800_000} ms; run collect again later (the job resumes).`,
          202,
        );
      const after = Number(res.headers.get('retry-after'));
      const wait = Number.isFinite(after) && after > 0 ? after * 1000 : (options.pollMs ?? 500);
      await sleep(Math.min(wait, options.maxPollMs ?? Number.POSITIVE_INFINITY));
    } else throw await problemOf(res, 'collection failed');
  }

  const collection = decodeCollection(body);
  const aad = aggregateShareAad(task.idBytes, new Uint8Array(0), task.interval);
  const codec = new Prio3Codec(sumVecVdaf(task.vdaf));
  const open = async (role: 'leader' | 'helper') => {
    const sealed = role === 'leader' ? collection.leaderShare : collection.helperShare;
    try {
      return codec.decodeAggregateShare(
        await hpkeOpen(options.key, sealed, aggregateShareInfo(role), aad),
      );
    } catch (error) {
      throw new CollectError(
        `task ${task.id}: the ${role}'s aggregate share does not open with this collector's key (${error instanceof Error ? error.message : String(error)})`,
        null,
      );
    }
  };
  const shares = [await open('leader'), await open('helper')];
  return {
    reportCount: Number(collection.reportCount),
    interval: collection.interval,
    sum: codec.toSigned(codec.sumShares(shares)),
  };
}
