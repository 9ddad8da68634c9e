/**
 * `createEngineService`: the engine's API on top of a catalog source, an event log, a prompt
 * store, the encoder and the models. Storage comes in as interfaces (the worker passes the
 * IndexedDB ones from `src/store/`, tests and eval the in-memory ones); scoring is `recommendFor`.
 */

import type { RecommendRequest } from '../protocol/recommendation.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import type { CollabModel } from './collab-model.ts';
import { createEngineContext, type EngineContext, type NeighbourSearch } from './context.ts';
import type { CooccurrenceModel } from './cooccurrence-model.ts';
import { checkEvent, type EventLog } from './events.ts';
import { type HeldOutRanks, heldOutRanks, holdOutLast } from './held-out.ts';
import { encodePrompt, type TextEmbedder } from './prompt.ts';
import type { PromptStore } from './prompt-store.ts';
import type { Ranker, RankerGroup } from './ranker.ts';
import { localRankingExamples } from './ranker-examples.ts';
import { DEFAULT_RECOMMEND_CONFIG, type RecommendConfig, recommendFor } from './recommend.ts';
import type { SequenceModel } from './sequence-model.ts';
import type { EngineEvent, EngineItem, RankedItem } from './types.ts';
import { buildUserState, DEFAULT_USER_STATE_CONFIG, type UserStateConfig } from './user-state.ts';

/** What the engine needs from the catalog (the catalog service adapts to this). */
export interface EngineCatalogSource {
  /** Items in a stable order with their unit vectors (row-major, `dims` per item). */
  snapshot(): Promise<{
    readonly items: readonly EngineItem[];
    readonly vectors: Float32Array;
    readonly dims: number;
    /** A catalog/encoder version; the context is rebuilt when it changes. */
    readonly version: string;
    readonly search?: NeighbourSearch;
  }>;
}

/** Dependencies of the service. */
export interface EngineServiceDeps {
  readonly catalog: EngineCatalogSource;
  readonly encoder: TextEmbedder;
  readonly ranker: Ranker;
  readonly collab?: CollabModel | null;
  readonly sequence?: SequenceModel | null;
  /** The private item-item model learned from DP releases (also set later with `setCooccurrence`). */
  readonly cooccurrence?: CooccurrenceModel | null;
  readonly events: EventLog;
  /** Used only when a caller opts in with `rememberPrompt`. */
  readonly promptStore: PromptStore;
  readonly popularity?: Readonly<Record<string, number>>;
  readonly userState?: UserStateConfig;
  readonly recommend?: RecommendConfig;
  /** Deletes every local store on forget() (the worker: every Hearth database and cache). */
  readonly forgetStorage: () => Promise<unknown>;
  readonly rng?: Rng;
  readonly now?: () => number;
}

/** A visitor's own training data for a federated round; built on the device, never sent. */
export interface LocalTrainingData {
  /** Ids of the items of the visitor's positive events, oldest first. */
  readonly items: readonly string[];
  /** Ranking examples from the visitor's own events (`localRankingExamples`). */
  readonly rankingExamples: readonly RankerGroup[];
}

/** The two item-item models a federated evaluation compares (null: none is served). */
export interface EvaluatedModels {
  readonly served: CooccurrenceModel | null;
  readonly candidate: CooccurrenceModel;
}

/** Ranks the visitor's held-out last positive item under both models (null: nothing to hold out). */
export type HeldOutRanker = (models: EvaluatedModels, k: number) => Promise<HeldOutRanks | null>;

/** The engine as the worker uses it; every value is structured-clone friendly. */
export interface EngineService {
  /** Records an interaction on the device (the event log); never sent anywhere. */
  track(event: EngineEvent): Promise<void>;
  /** Ranks up to `limit` items with explanations (the prompt is used for this call only). */
  recommend(request: RecommendRequest): Promise<RankedItem[]>;
  /** The events stored on this device (for "what Hearth knows about me"). */
  events(): Promise<EngineEvent[]>;
  /** Replaces the popularity prior (e.g. with DP-estimated counts). */
  setPopularity(counts: Readonly<Record<string, number>>): Promise<void>;
  /** Deletes every local store (`forgetStorage`) and the engine's memory. */
  forget(): Promise<void>;
  /** The visitor's training data: up to `examples` ranking examples (default 5). */
  trainingData(examples?: number): Promise<LocalTrainingData>;
  /** Scores with `ranker` from now on (e.g. the version the operator promoted). */
  setRanker(ranker: Ranker): Promise<void>;
  /**
   * Scores the item-item signal with the private model from now on (the served `cooccurrence`);
   * its popularity, post-processed from the same DP release, replaces the popularity prior.
   */
  setCooccurrence(model: CooccurrenceModel | null): Promise<void>;
  /**
   * A federated evaluation on this device: the visitor's last positive event is held out and the
   * engine ranks for the events before it with `served` and with `candidate` in the private
   * model's place (the same catalog, ranker and popularity rule as `recommend`); null with fewer
   * than 2 positive events on catalog items. Nothing is stored or sent.
   */
  heldOutRanks: HeldOutRanker;
}

/** Builds the engine service. */
export function createEngineService(deps: EngineServiceDeps): EngineService {
  const { events, promptStore } = deps;
  const now = deps.now ?? (() => Date.now());
  const rng = deps.rng ?? seededRng(Date.now() >>> 0);
  let ranker = deps.ranker;
  let popularity = new Map(Object.entries(deps.popularity ?? {}));
  let cooccurrence = deps.cooccurrence ?? null;
  const impressions = new Map<string, number>();
  let cached: { version: string; context: Promise<EngineContext> } | null = null;
  // What the prompt store holds, read once; the store is touched only after an opt-in or to
  // read a prompt remembered by an earlier opt-in.
  let remembered: Promise<string | null> | null = null;

  const promptFor = async (options: RecommendRequest): Promise<string> => {
    const given = options.prompt ?? '';
    if (options.rememberPrompt) {
      const keep = given.trim() === '' ? null : given;
      if (keep === null) await promptStore.clear();
      else await promptStore.save(keep);
      remembered = Promise.resolve(keep);
      return given;
    }
    if (options.prompt !== undefined) return given;
    remembered ??= promptStore.load();
    return (await remembered) ?? '';
  };

  /** The engine's context over a catalog snapshot with `model` as the private item-item model. */
  const contextWith = (
    snapshot: Awaited<ReturnType<EngineCatalogSource['snapshot']>>,
    model: CooccurrenceModel | null,
  ): EngineContext =>
    createEngineContext({
      items: snapshot.items,
      vectors: snapshot.vectors,
      dims: snapshot.dims,
      collab: deps.collab ?? null,
      sequence: deps.sequence ?? null,
      cooccurrence: model,
      // The private model carries its own (denoised) popularity of the same release.
      ...(model === null ? { popularity } : {}),
      ...(snapshot.search ? { search: snapshot.search } : {}),
    });

  const context = async (): Promise<EngineContext> => {
    const snapshot = await deps.catalog.snapshot();
    if (!cached || cached.version !== snapshot.version) {
      // The loading promise is shared so concurrent callers build the context once.
      cached = {
        version: snapshot.version,
        context: Promise.resolve(contextWith(snapshot, cooccurrence)),
      };
    }
    return cached.context;
  };

  return {
    async track(event) {
      const e = checkEvent(event);
      impressions.delete(e.itemId);
      await events.append(e);
    },
    async recommend(options: RecommendRequest) {
      const ctx = await context();
      const at = now();
      const state = buildUserState(
        ctx,
        await events.list(),
        deps.userState ?? DEFAULT_USER_STATE_CONFIG,
        at,
      );
      // The prompt is encoded here and dropped when this call returns: never sent, and stored
      // only when the caller opts in with rememberPrompt.
      const text = await promptFor(options);
      const prompt = text.trim() !== '' ? await encodePrompt(deps.encoder, text) : null;
      const results = await recommendFor(
        ctx,
        state,
        ranker,
        {
          limit: options.limit,
          now: at,
          prompt,
          impressions,
          rng,
          ...(options.exclude ? { exclude: options.exclude } : {}),
          ...(options.strings ? { strings: options.strings } : {}),
        },
        deps.recommend ?? DEFAULT_RECOMMEND_CONFIG,
      );
      for (const r of results) impressions.set(r.itemId, (impressions.get(r.itemId) ?? 0) + 1);
      return results;
    },
    async events() {
      return events.list();
    },
    async trainingData(examples = 5) {
      const ctx = await context();
      const list = await events.list();
      const config = deps.userState ?? DEFAULT_USER_STATE_CONFIG;
      return {
        items: list.filter((e) => (config.kindWeights[e.kind] ?? 0) > 0).map((e) => e.itemId),
        rankingExamples: localRankingExamples(ctx, list, config, examples),
      };
    },
    async setRanker(next) {
      ranker = next;
    },
    async heldOutRanks(models, k) {
      const snapshot = await deps.catalog.snapshot();
      const config = deps.userState ?? DEFAULT_USER_STATE_CONFIG;
      const served = contextWith(snapshot, models.served);
      const split = holdOutLast(served, await events.list(), config);
      if (split === null) return null;
      return heldOutRanks(
        { served, candidate: contextWith(snapshot, models.candidate) },
        split,
        ranker,
        k,
        config,
        deps.recommend ?? DEFAULT_RECOMMEND_CONFIG,
      );
    },
    async setCooccurrence(model) {
      cooccurrence = model;
      cached = null;
    },
    async setPopularity(counts) {
      popularity = new Map(Object.entries(counts));
      cached = null;
    },
    async forget() {
      await events.clear();
      remembered = Promise.resolve(null);
      await promptStore.clear();
      impressions.clear();
      await deps.forgetStorage();
    },
  };
}
