/**
 * The client side of a federated round: fetch the round config (and the global model when its
 * version changed), train locally on the visitor's own data (the collab model on their item
 * rows, or the ranker on candidate groups the engine built from their events — whichever model
 * the round trains), clip to C, add N(0, (zC)²), and
 * upload with a random update id — every request through the privacy gate, which accounts the
 * release (ρ = 2/z², see privatize.ts) and refuses it when a ledger cap would be exceeded.
 * McMahan et al. 2017 (FedAvg client), McMahan et al. 2018 (clip + Gaussian noise).
 */
import type { CollabModel } from '../engine/collab-model.ts';
import type { RankerGroup } from '../engine/ranker.ts';
import type { CollabGradientOptions } from '../models/collab-gradient.ts';
import type { PrivacyGate } from '../privacy/gate.ts';
import { type ModelEntry, ModelsResponseSchema } from '../protocol/model.ts';
import { type RoundConfig, RoundConfigSchema } from '../protocol/round.ts';
import type { UpdateEncoding } from '../protocol/update.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Rng } from '../shared/rng.ts';
import { decodeBase64 } from '../wire/base64.ts';
import { encodeUpdateFrame } from '../wire/update-codec.ts';
import { computeLocalDelta } from './local-update.ts';
import { unflattenCollab } from './params.ts';
import { privatizeUpdate, updateRho } from './privatize.ts';
import { randomUpdateId } from './random-id.ts';
import { computeRankerDelta, type RankerColumns, rankerColumns } from './ranker-update.ts';

/** A protocol-level failure talking to the server (bad status or body). */
export class FederatedProtocolError extends Error {
  override readonly name = 'FederatedProtocolError';
}

/** A published global model the client knows how to train. */
export type GlobalModel =
  | {
      readonly kind: 'collab';
      readonly version: number;
      readonly collab: CollabModel;
      /** Item id → model row. */
      readonly rowOf: ReadonlyMap<string, number>;
    }
  | {
      readonly kind: 'ranker';
      readonly version: number;
      readonly layout: RankerColumns;
      readonly params: Float32Array;
    };

/** Caches global models by name and version; may be shared (models are public). */
export type ModelCache = Map<string, GlobalModel>;

/** The visitor's own training data; a round uses the part its model needs. */
export interface LocalData {
  /** Ids of the items the visitor interacted with, oldest first (collab rounds). */
  readonly collabItems?: readonly string[];
  /** Candidate groups the engine built from the visitor's events (ranker rounds). */
  readonly rankerGroups?: readonly RankerGroup[];
}

/**
 * Decodes a published model into what this engine trains or scores with; throws
 * FederatedProtocolError for a model without a layout or with one this engine cannot use.
 */
export function globalModelOf(entry: ModelEntry): GlobalModel {
  if (entry.layout === undefined)
    throw new FederatedProtocolError(`model '${entry.name}' has no layout`);
  const raw = decodeBase64(entry.data);
  const params = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  if (entry.layout.kind === 'collab') {
    const collab = unflattenCollab(entry.layout, params, String(entry.version));
    const rowOf = new Map(collab.itemIds.map((id, row) => [id, row]));
    return { kind: 'collab', version: entry.version, collab, rowOf };
  }
  if (entry.layout.kind !== 'ranker')
    throw new FederatedProtocolError(`model '${entry.name}' is not trained in rounds`);
  let layout: RankerColumns;
  try {
    layout = rankerColumns(entry.layout.features);
  } catch (error) {
    throw new FederatedProtocolError(`model '${entry.name}': ${(error as Error).message}`);
  }
  if (params.length !== layout.columns.length)
    throw new FederatedProtocolError(
      `model '${entry.name}' has ${params.length} values, its layout ${layout.columns.length}`,
    );
  return { kind: 'ranker', version: entry.version, layout, params: Float32Array.from(params) };
}

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
      /** The model the round trained. */
      readonly model: string;
      readonly status: number;
      readonly bytes: number;
      readonly rho: number;
      readonly modelVersion: number;
    }
  | { readonly kind: 'skipped'; readonly reason: string };

/** GETs `url` through the gate (with consent, ε 0) and returns its JSON; throws on an error status. */
export async function getJson(gate: PrivacyGate, url: string, summary: string): Promise<unknown> {
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

  const fetchModel = async (round: RoundConfig): Promise<GlobalModel> => {
    const key = `${round.model}@${round.modelVersion}`;
    const cached = cache.get(key);
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
    if (entry === undefined)
      throw new FederatedProtocolError(`model '${round.model}' is not published`);
    const model = globalModelOf(entry);
    // Keep only the newest version of each model: old versions are never used again.
    for (const [k, m] of cache)
      if (k.startsWith(`${round.model}@`) && m.version < entry.version) cache.delete(k);
    cache.set(`${round.model}@${entry.version}`, model);
    return model;
  };

  /** The local delta for `model`, or why this visitor cannot train it. */
  const localDelta = (
    model: GlobalModel,
    round: RoundConfig,
    local: LocalData,
  ): Float32Array | string => {
    if (model.kind === 'collab') {
      const rows = (local.collabItems ?? []).flatMap((id) => {
        const row = model.rowOf.get(id);
        return row === undefined ? [] : [row];
      });
      if (rows.length < 2) return 'fewer than two local events with items the model knows';
      return computeLocalDelta(
        model.collab,
        rows,
        {
          localSteps: round.localSteps,
          learningRate: round.learningRate,
          gradient: options.gradient,
        },
        options.rng,
      );
    }
    const groups = local.rankerGroups ?? [];
    if (groups.length === 0) return 'no local ranking example';
    return computeRankerDelta(model.layout, model.params, groups, {
      localSteps: round.localSteps,
      learningRate: round.learningRate,
    });
  };

  return {
    fetchRound,
    fetchModel,
    /** Runs one participation in whichever model the current round trains. */
    async participate(local: LocalData): Promise<RoundOutcome> {
      if ((local.collabItems?.length ?? 0) < 2 && (local.rankerGroups?.length ?? 0) === 0)
        return { kind: 'skipped', reason: 'no local training data' };
      const round = await fetchRound();
      const model = await fetchModel(round);
      if (model.version !== round.modelVersion)
        return { kind: 'skipped', reason: 'model changed during the round' };
      const delta = localDelta(model, round, local);
      if (typeof delta === 'string') return { kind: 'skipped', reason: delta };
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
        summary: `model update for ${round.model} v${round.modelVersion}: ${noisy.length} values clipped to C = ${round.clipNorm}, noise z = ${round.noiseMultiplier.toFixed(2)}`,
        rho,
      });
      if (res.status !== 202 && res.status !== 200) {
        throw new FederatedProtocolError(`upload answered ${res.status}: ${await res.text()}`);
      }
      return {
        kind: 'uploaded',
        model: round.model,
        status: res.status,
        bytes: body.byteLength,
        rho,
        modelVersion: round.modelVersion,
      };
    },
  };
}
