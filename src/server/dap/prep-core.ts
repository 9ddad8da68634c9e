/**
 * The CPU-bound part of a DAP aggregator, Prio3 preparation (VDAF-08 §7, DAP-09 §4.5), as plain
 * functions over bytes so they run the same in a worker thread (./prep-worker.ts) or in the
 * calling thread (tests): HPKE-open a report's input share, decode it, `prepareInit` (the
 * verifier share of the proof), combine both aggregators' preparation shares
 * (`unshardPreparationShares`, where the proof is decided: an invalid one throws) and
 * `prepareNext` (the joint-randomness check), then add the output shares into one aggregate
 * share. A rejected report gets its DAP PrepareError and contributes nothing. Noise is added here
 * too. All crypto and field arithmetic are library calls (`@divviup/prio3`, `hpke-js`).
 */
import {
  cryptoRandomBelow,
  type RandomBelow,
  sampleDiscreteGaussians,
} from '../../privacy/discrete-gaussian.ts';
import {
  decodeAggregationJobInitReq,
  decodeAggregationJobResp,
  decodePingPong,
  encodeAggregationJobInitReq,
  encodeAggregationJobResp,
  encodePingPong,
  encodePrepareInit,
  type PrepareError,
  type PrepareResp,
} from '../../wire/dap/aggregation.ts';
import {
  Prio3Codec,
  type Prio3PrepState,
  type SumVecParams,
  sumVecVdaf,
} from '../../wire/dap/prio3-codec.ts';
import {
  type AggregatorRole,
  decodePlaintextInputShare,
  decodeReport,
  type HpkeCiphertext,
  inputShareAad,
  inputShareInfo,
  type ReportMetadata,
} from '../../wire/dap/upload.ts';
import { type HpkeKeypair, HpkeOpenError, hpkeOpen } from './hpke.ts';

/** What preparation needs to know about a task. */
export interface PrepTask {
  /** The 32-byte task id (it enters the HPKE aad). */
  readonly taskId: Uint8Array;
  readonly vdaf: SumVecParams;
  /** The 16-byte verify key both aggregators share (secret from clients). */
  readonly verifyKey: Uint8Array;
  /** This aggregator's HPKE keypair. */
  readonly key: HpkeKeypair;
}

/** A report an aggregator rejected, with the reason. */
export interface Rejection {
  readonly reportId: Uint8Array;
  readonly error: PrepareError;
}

/** Milliseconds spent per stage of one job (the bench's profile). */
export interface StageTimes {
  hpke: number;
  decode: number;
  prepareInit: number;
  combine: number;
  prepareNext: number;
  aggregate: number;
}

/** The leader's half of a job: the request for the helper and what it already rejected. */
export interface LeaderInitResult {
  readonly request: Uint8Array;
  /** Report ids in the request, in order (the helper answers in this order). */
  readonly included: readonly Uint8Array[];
  readonly rejected: readonly Rejection[];
  readonly times: StageTimes;
}

/** A finished job: the new accumulated share and which reports it holds. */
export interface AccumulateResult {
  /** The task's aggregate share including this job (null while nothing was ever aggregated). */
  readonly share: Uint8Array | null;
  readonly accepted: readonly Uint8Array[];
  readonly rejected: readonly Rejection[];
  readonly times: StageTimes;
}

/** The helper's answer to a job, and its new accumulated share. */
export interface HelperResult extends AccumulateResult {
  readonly response: Uint8Array;
}

/** The leader's preparation state of a job is gone (a restarted worker): rerun its init. */
export class PrepStateLostError extends Error {
  override readonly name = 'PrepStateLostError';
}

/** The helper answered a job with the wrong reports or order. */
export class HelperResponseError extends Error {
  override readonly name = 'HelperResponseError';
}

/** The preparation operations; implemented in process and by the worker client. */
export interface PrepEngine {
  leaderInit(
    jobId: string,
    task: PrepTask,
    reports: readonly { readonly reportId: Uint8Array; readonly body: Uint8Array }[],
  ): Promise<LeaderInitResult>;
  leaderFinish(
    jobId: string,
    task: PrepTask,
    response: Uint8Array,
    current: Uint8Array | null,
  ): Promise<AccumulateResult>;
  helperPrepare(
    task: PrepTask,
    request: Uint8Array,
    skip: readonly (PrepareError | null)[],
    current: Uint8Array | null,
  ): Promise<HelperResult>;
  /** The share plus one discrete Gaussian draw N_Z(0, σ²) per entry, in the field. */
  addNoise(vdaf: SumVecParams, share: Uint8Array | null, sigma: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A rejection with its reason, thrown inside preparation and caught per report. */
class Reject extends Error {
  constructor(readonly error: PrepareError) {
    super(error);
  }
}

/** All stages at 0 ms. */
export const newStageTimes = (): StageTimes => ({
  hpke: 0,
  decode: 0,
  prepareInit: 0,
  combine: 0,
  prepareNext: 0,
  aggregate: 0,
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Options: the random source of the noise (crypto by default; seeded in tests). */
export interface PrepCoreOptions {
  readonly noise?: RandomBelow;
}

/** Creates the preparation engine that runs in the calling thread. */
export function createPrepCore(options: PrepCoreOptions = {}): PrepEngine {
  const noise = options.noise ?? cryptoRandomBelow();
  const codecs = new Map<string, Prio3Codec>();
  const leaderStates = new Map<string, Map<string, Prio3PrepState>>();

  const codecFor = (p: SumVecParams): Prio3Codec => {
    const key = `${p.length}/${p.bits}/${p.chunkLength}`;
    let codec = codecs.get(key);
    if (codec === undefined) {
      codec = new Prio3Codec(sumVecVdaf(p));
      codecs.set(key, codec);
    }
    return codec;
  };

  const timed = async <T>(times: StageTimes, stage: keyof StageTimes, fn: () => T | Promise<T>) => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      times[stage] += performance.now() - t0;
    }
  };

  /** HPKE-open, decode and prepareInit one input share; throws Reject. */
  const initShare = async (
    role: AggregatorRole,
    task: PrepTask,
    codec: Prio3Codec,
    metadata: ReportMetadata,
    publicShare: Uint8Array,
    ciphertext: HpkeCiphertext,
    times: StageTimes,
  ) => {
    if (ciphertext.configId !== task.key.config.id) throw new Reject('hpke_unknown_config_id');
    const plaintext = await timed(times, 'hpke', async () => {
      try {
        return await hpkeOpen(
          task.key,
          ciphertext,
          inputShareInfo(role),
          inputShareAad(task.taskId, metadata, publicShare),
        );
      } catch (error) {
        if (error instanceof HpkeOpenError) throw new Reject('hpke_decrypt_error');
        throw error;
      }
    });
    const { publicShareDecoded, inputShare } = await timed(times, 'decode', async () => {
      try {
        const plain = decodePlaintextInputShare(plaintext);
        // DAP-09: an unrecognised extension makes the report invalid; Hearth knows none.
        if (plain.extensions.length > 0) throw new Reject('invalid_message');
        return {
          publicShareDecoded: codec.decodePublicShare(publicShare),
          inputShare: await codec.decodeInputShare(role === 'leader' ? 0 : 1, plain.payload),
        };
      } catch (error) {
        if (error instanceof Reject) throw error;
        throw new Reject('invalid_message');
      }
    });
    return timed(times, 'prepareInit', async () => {
      try {
        return await codec.vdaf.prepareInit(
          Buffer.from(task.verifyKey),
          role === 'leader' ? 0 : 1,
          null,
          Buffer.from(metadata.reportId),
          publicShareDecoded,
          inputShare,
        );
      } catch {
        throw new Reject('vdaf_prep_error');
      }
    });
  };

  const decodeCurrent = (codec: Prio3Codec, current: Uint8Array | null) =>
    current === null ? codec.zeroAggregateShare() : codec.decodeAggregateShare(current);

  const encodeShare = (codec: Prio3Codec, share: bigint[]) =>
    new Uint8Array(codec.vdaf.encodeAggregatorShare(share));

  return {
    async leaderInit(jobId, task, reports) {
      const codec = codecFor(task.vdaf);
      const times = newStageTimes();
      const states = new Map<string, Prio3PrepState>();
      const inits: Uint8Array[] = [];
      const included: Uint8Array[] = [];
      const rejected: Rejection[] = [];
      for (const { reportId, body } of reports) {
        try {
          let report: ReturnType<typeof decodeReport>;
          try {
            report = decodeReport(body);
          } catch {
            throw new Reject('invalid_message');
          }
          const { preparationState, preparationShare } = await initShare(
            'leader',
            task,
            codec,
            report.metadata,
            report.publicShare,
            report.leaderShare,
            times,
          );
          states.set(hex(reportId), preparationState);
          included.push(reportId);
          inits.push(
            encodePrepareInit({
              reportShare: {
                metadata: report.metadata,
                publicShare: report.publicShare,
                encryptedInputShare: report.helperShare,
              },
              payload: encodePingPong({
                kind: 'initialize',
                prepShare: codec.vdaf.encodePreparationShare(preparationShare),
              }),
            }),
          );
        } catch (error) {
          if (!(error instanceof Reject)) throw error;
          rejected.push({ reportId, error: error.error });
        }
      }
      leaderStates.set(jobId, states);
      return {
        request: encodeAggregationJobInitReq(new Uint8Array(0), inits),
        included,
        rejected,
        times,
      };
    },

    async leaderFinish(jobId, task, response, current) {
      const states = leaderStates.get(jobId);
      if (states === undefined)
        throw new PrepStateLostError(`no preparation state for aggregation job ${jobId}`);
      const codec = codecFor(task.vdaf);
      const times = newStageTimes();
      const resps = decodeAggregationJobResp(response);
      if (resps.length !== states.size)
        throw new HelperResponseError(
          `the helper answered ${resps.length} reports of job ${jobId}, which holds ${states.size}`,
        );
      let share = decodeCurrent(codec, current);
      const accepted: Uint8Array[] = [];
      const rejected: Rejection[] = [];
      const ids = [...states.keys()];
      for (const [i, resp] of resps.entries()) {
        const key = hex(resp.reportId);
        if (key !== ids[i])
          throw new HelperResponseError(
            `the helper's answer ${i} of job ${jobId} is for report ${key}, expected ${ids[i]}`,
          );
        const state = states.get(key);
        if (state === undefined) continue;
        if (resp.kind === 'reject') {
          rejected.push({ reportId: resp.reportId, error: resp.error });
          continue;
        }
        try {
          const output = await timed(times, 'prepareNext', () => {
            if (resp.kind !== 'continue') throw new Reject('invalid_message');
            let message: ReturnType<typeof decodePingPong>;
            try {
              message = decodePingPong(resp.payload);
            } catch {
              throw new Reject('invalid_message');
            }
            if (message.kind !== 'finish') throw new Reject('invalid_message');
            try {
              // Checks the helper's joint-randomness seed against the leader's corrected one.
              const out = codec.vdaf.prepareNext(
                state,
                codec.decodePrepMessage(message.prepMessage),
              );
              if (!('outputShare' in out)) throw new Reject('vdaf_prep_error');
              return out.outputShare;
            } catch {
              throw new Reject('vdaf_prep_error');
            }
          });
          share = await timed(times, 'aggregate', () =>
            codec.vdaf.aggregate(null, [share, output]),
          );
          accepted.push(resp.reportId);
        } catch (error) {
          if (!(error instanceof Reject)) throw error;
          rejected.push({ reportId: resp.reportId, error: error.error });
        }
      }
      leaderStates.delete(jobId);
      const next =
        accepted.length === 0 && current === null
          ? null
          : await timed(times, 'aggregate', () => encodeShare(codec, share));
      return { share: next, accepted, rejected, times };
    },

    async helperPrepare(task, request, skip, current) {
      const codec = codecFor(task.vdaf);
      const times = newStageTimes();
      const job = decodeAggregationJobInitReq(request);
      let share = decodeCurrent(codec, current);
      const resps: PrepareResp[] = [];
      const accepted: Uint8Array[] = [];
      const rejected: Rejection[] = [];
      for (const [i, init] of job.prepareInits.entries()) {
        const { metadata, publicShare, encryptedInputShare } = init.reportShare;
        const reportId = metadata.reportId;
        try {
          const skipped = skip[i];
          if (skipped !== null && skipped !== undefined) throw new Reject(skipped);
          const mine = await initShare(
            'helper',
            task,
            codec,
            metadata,
            publicShare,
            encryptedInputShare,
            times,
          );
          const prepMessage = await timed(times, 'combine', async () => {
            let leaderShare: ReturnType<Prio3Codec['decodePrepShare']>;
            try {
              const inbound = decodePingPong(init.payload);
              if (inbound.kind !== 'initialize') throw new Reject('invalid_message');
              leaderShare = codec.decodePrepShare(inbound.prepShare);
            } catch (error) {
              if (error instanceof Reject) throw error;
              throw new Reject('invalid_message');
            }
            try {
              // Prio3's prep_shares_to_prep: the proof is decided here; an invalid one throws.
              return await codec.vdaf.unshardPreparationShares(null, [
                leaderShare,
                mine.preparationShare,
              ]);
            } catch {
              throw new Reject('vdaf_prep_error');
            }
          });
          const output = await timed(times, 'prepareNext', () => {
            try {
              const out = codec.vdaf.prepareNext(mine.preparationState, prepMessage);
              if (!('outputShare' in out)) throw new Reject('vdaf_prep_error');
              return out.outputShare;
            } catch {
              throw new Reject('vdaf_prep_error');
            }
          });
          share = await timed(times, 'aggregate', () =>
            codec.vdaf.aggregate(null, [share, output]),
          );
          accepted.push(reportId);
          resps.push({
            reportId,
            kind: 'continue',
            payload: encodePingPong({
              kind: 'finish',
              prepMessage: codec.vdaf.encodePreparationMessage(prepMessage),
            }),
          });
        } catch (error) {
          if (!(error instanceof Reject)) throw error;
          rejected.push({ reportId, error: error.error });
          resps.push({ reportId, kind: 'reject', error: error.error });
        }
      }
      const next =
        accepted.length === 0 && current === null
          ? null
          : await timed(times, 'aggregate', () => encodeShare(codec, share));
      return { response: encodeAggregationJobResp(resps), share: next, accepted, rejected, times };
    },

    async addNoise(vdaf, share, sigma) {
      const codec = codecFor(vdaf);
      const values = decodeCurrent(codec, share);
      const noisy = codec.addIntegers(values, sampleDiscreteGaussians(values.length, sigma, noise));
      return encodeShare(codec, noisy);
    },

    async close() {
      leaderStates.clear();
    },
  };
}
