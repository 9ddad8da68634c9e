/**
 * The client side of a federated round: fetch the round config (and the global model when its
 * version changed), train locally on the visitor's own rows, clip to C, add N(0, (zC)²), and
 * upload with a random update id — every request through the privacy gate, which accounts the
 * release (ρ = 2/z², see privatize.ts) and refuses it when a ledger cap would be exceeded.
 * McMahan et al. 2017 (FedAvg client), McMahan et al. 2018 (clip + Gaussian noise).
 */
import type { CollabGradientOptions, CollabModel } from '../engine/collab-model.ts';
import type { PrivacyGate } from '../privacy/gate.ts';
import { ModelsResponseSchema } from '../protocol/model.ts';
import { type RoundConfig, RoundConfigSchema } from '../protocol/round.ts';
import type { UpdateEncoding } from '../protocol/update.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Rng } from '../shared/rng.ts';
import { decodeBase64 } from './base64.ts';
import { computeLocalDelta } from './local-update.ts';
import { unflattenCollab } from './params.ts';
import { privatizeUpdate, updateRho } from './privatize.ts';
import { randomUpdateId } from './random-id.ts';
import { encodeUpdateFrame } from './update-codec.ts';

/** A protocol-level failure talking to the server (bad status or body). */
export class FederatedProtocolError extends Error {
  override readonly name = 'FederatedProtocolError';
}

/** Caches global models by version; may be shared (models are public). */
export type ModelCache = Map<number, CollabModel>;

/** Options of the federated client. */
export interface FederatedClientOptions {
  readonly gate: PrivacyGate;
  /** Server base URL, e.g. "https://hearth.example". */
  readonly baseUrl: string;
  readonly rng: Rng;
  /** Source of update ids (a cryptographic one in production). */
  readonly idRng?: Rng;
  readonly encoding?: UpdateEncoding;
  readonly gradient?: CollabGradientOptions;
  readonly modelCache?: ModelCache;
}

/** What one participation did. */
export type RoundOutcome =
  | {
      readonly kind: 'uploaded';
      readonly status: number;
      readonly bytes: number;
      readonly rho: number;
      readonly modelVersion: number;
    }
  | { readonly kind: 'skipped'; readonly reason: string };

async function getJson(gate: PrivacyGate, url: string, summary: string): Promise<unknown> {
  const res = await gate.send({ url, method: 'GET', kind: 'request', summary });
  if (!res.ok)
    throw new FederatedProtocolError(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Creates a federated client. */
export function createFederatedClient(options: FederatedClientOptions) {
  const cache: ModelCache = options.modelCache ?? new Map();
  const base = options.baseUrl.replace(/\/$/, '');

  const fetchRound = async (): Promise<RoundConfig> => {
    const parsed = RoundConfigSchema.safeParse(
      await getJson(options.gate, `${base}/v1/round`, 'round configuration'),
    );
    if (!parsed.success)
      throw new FederatedProtocolError(`bad round config: ${parsed.error.message}`);
    return parsed.data;
  };

  const fetchModel = async (round: RoundConfig): Promise<CollabModel> => {
    const cached = cache.get(round.modelVersion);
    if (cached !== undefined) return cached;
    const parsed = ModelsResponseSchema.safeParse(
      await getJson(
        options.gate,
        `${base}/v1/model?name=${encodeURIComponent(round.model)}`,
        `global model ${round.model}`,
      ),
    );
    if (!parsed.success)
      throw new FederatedProtocolError(`bad model response: ${parsed.error.message}`);
    const entry = parsed.data.models.find((m) => m.name === round.model);
    if (entry?.layout === undefined)
      throw new FederatedProtocolError(`model '${round.model}' has no collab layout`);
    const raw = decodeBase64(entry.data);
    const model = unflattenCollab(
      entry.layout,
      new Float32Array(raw.buffer),
      String(entry.version),
    );
    // Keep only the newest version: a model is megabytes and old versions are never used again.
    for (const v of cache.keys()) if (v < entry.version) cache.delete(v);
    cache.set(entry.version, model);
    return model;
  };

  return {
    fetchRound,
    fetchModel,
    /** Runs one participation for the visitor's chronological item rows. */
    async participate(sequence: readonly number[]): Promise<RoundOutcome> {
      if (sequence.length < 2) return { kind: 'skipped', reason: 'fewer than two local events' };
      const round = await fetchRound();
      const model = await fetchModel(round);
      if (Number(model.version) !== round.modelVersion)
        return { kind: 'skipped', reason: 'model changed during the round' };
      const delta = computeLocalDelta(
        model,
        sequence,
        {
          localSteps: round.localSteps,
          learningRate: round.learningRate,
          gradient: options.gradient,
        },
        options.rng,
      );
      const noisy = privatizeUpdate(delta, round.clipNorm, round.noiseMultiplier, options.rng);
      const rho = updateRho(round.noiseMultiplier);
      const body = encodeUpdateFrame(
        {
          v: PROTOCOL_VERSION,
          kind: 'update',
          id: randomUpdateId(options.idRng ?? options.rng),
          model: round.model,
          modelVersion: round.modelVersion,
          length: noisy.length,
          encoding: options.encoding ?? 'q8',
        },
        noisy,
      );
      const res = await options.gate.send({
        url: `${base}/v1/updates`,
        method: 'POST',
        body,
        contentType: 'application/octet-stream',
        kind: 'update',
        summary: `model update for ${round.model} v${round.modelVersion}: ${noisy.length} values clipped to C = ${round.clipNorm}, noise z = ${round.noiseMultiplier}`,
        rho,
      });
      if (res.status !== 202 && res.status !== 200) {
        throw new FederatedProtocolError(`upload answered ${res.status}: ${await res.text()}`);
      }
      return {
        kind: 'uploaded',
        status: res.status,
        bytes: body.byteLength,
        rho,
        modelVersion: round.modelVersion,
      };
    },
  };
}
