/**
 * The whole engine in `hearth simulate`: two engine contexts over the same catalog vectors.
 * - **Federated**: the federated collab model, the LDP popularity estimate, and no sequence
 *   model (it has no private-data-free source).
 * - **Central**: the centrally trained collab and sequence models and the true popularity.
 *
 * Each client's ranker examples come from its own events: each of its last few training events
 * is a target, with the events before it as the history (`rankerGroupsByUser` on the validation
 * split). Test items are never used.
 */
import type { Encoder } from '../encoder/types.ts';
import type { CollabModel } from '../engine/collab-model.ts';
import { createEngineContext, type EngineContext } from '../engine/context.ts';
import { linearRanker, type RankerGroup } from '../engine/ranker.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../engine/user-state.ts';
import {
  embedAll,
  movieItems,
  rankerGroupsByUser,
  splitContext,
  trainedItems,
} from '../eval/hearth-method.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import type { EngineCatalog } from '../eval/private-method.ts';
import { type Split, validationSplit } from '../eval/split.ts';
import {
  expandRankerWeights,
  learnableFeatures,
  rankerColumns,
} from '../federated/ranker-update.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS, trainRankerWeights } from '../models/ranker-train.ts';
import { trainSequenceModel } from '../models/sequence-train.ts';
import type { ServerStorage } from '../server/storage.ts';
import { seededRng } from '../shared/rng.ts';
import { modelUploadBody } from '../wire/model-upload.ts';
import { evaluateHearth, type RankingFigures, type ReportSection } from './sim-eval.ts';
import { admin, type Participant, runRounds, type SimTransport } from './sim-server.ts';
import type { RankerRoundOptions } from './simulation.ts';

/** The two contexts and each user's ranker example in them. */
export interface HearthWorlds {
  readonly federated: EngineContext;
  readonly central: EngineContext;
  readonly federatedGroups: ReadonlyMap<number, readonly RankerGroup[]>;
  readonly centralGroups: ReadonlyMap<number, readonly RankerGroup[]>;
}

/**
 * Builds both contexts for `split`. `ldpCounts` (aligned with split.itemIds) holds the private
 * popularity estimates (LDP, or DAP's noisy sums); it is null when none was made, and then the
 * federated context has no popularity prior. `federatedCollab` is null when the private world has
 * no collab model (DAP trains none).
 */
export async function hearthWorlds(
  data: MovieLensData,
  split: Split,
  input: {
    readonly encoder: Encoder;
    readonly federatedCollab: CollabModel | null;
    readonly centralCollab: CollabModel;
    readonly ldpCounts: Float32Array | null;
    readonly userState: UserStateConfig;
    /** Ranking examples per user (see `rankerGroupsByUser`). */
    readonly examplesPerUser: number;
    readonly log: (message: string) => void;
  },
): Promise<HearthWorlds> {
  const { items, vectors, dims } = await embedCatalog(data, split, input.encoder, input.log);
  const { central, centralGroups } = centralWorld(
    split,
    { items, vectors, dims },
    input.centralCollab,
    input.userState,
    input.examplesPerUser,
  );
  const popularity =
    input.ldpCounts === null
      ? undefined
      : new Map(split.itemIds.map((id, row) => [id, Math.max(0, input.ldpCounts?.[row] ?? 0)]));
  const federated = createEngineContext({
    items,
    vectors,
    dims,
    collab: input.federatedCollab,
    sequence: null,
    ...(popularity === undefined ? {} : { popularity }),
  });
  return {
    federated,
    central,
    federatedGroups: rankerGroupsByUser(
      federated,
      validationSplit(split),
      input.userState,
      input.examplesPerUser,
    ),
    centralGroups,
  };
}

/** The catalog's items with their text embedded by `encoder`. */
export async function embedCatalog(
  data: MovieLensData,
  split: Split,
  encoder: Encoder,
  log: (message: string) => void,
): Promise<EngineCatalog> {
  const { items, texts } = movieItems(data, split.itemIds);
  log(`hearth: embedding ${texts.length} item texts with ${encoder.info.id}`);
  return { items, vectors: await embedAll(encoder, texts), dims: encoder.info.dims };
}

/**
 * The central engine's context (the centrally trained collab and sequence models, true
 * popularity) and each user's ranker examples in it.
 */
export function centralWorld(
  split: Split,
  catalog: EngineCatalog,
  centralCollab: CollabModel,
  userState: UserStateConfig,
  examplesPerUser: number,
): { central: EngineContext; centralGroups: Map<number, RankerGroup[]> } {
  const trained = trainedItems(split);
  const sequence = trainSequenceModel(trained.itemIds, trained.sequences);
  const { items, vectors, dims } = catalog;
  const central = splitContext(split, items, vectors, dims, centralCollab, sequence);
  return {
    central,
    centralGroups: rankerGroupsByUser(central, validationSplit(split), userState, examplesPerUser),
  };
}

/** Central (non-private) fit of the ranker on all users' groups. */
export function centralRankerWeights(
  groups: ReadonlyMap<number, readonly RankerGroup[]>,
): number[] {
  return trainRankerWeights([...groups.values()].flat(), DEFAULT_RANKER_TRAIN_OPTIONS).weights;
}

/** Inputs of the ranker phase: the collab phase's results and the same clients and server. */
export interface RankerPhaseInput {
  readonly data: MovieLensData;
  readonly split: Split;
  readonly encoder: Encoder;
  readonly federatedCollab: CollabModel;
  readonly centralCollab: CollabModel;
  readonly ldpCounts: Float32Array | null;
  /** Number of clients (for the round count). */
  readonly clients: number;
  readonly participants: readonly Participant[];
  readonly ranker: RankerRoundOptions;
  /** Noise multiplier z of each ranker update. */
  readonly noise: number;
  readonly budgetShare: number;
  readonly seed: number;
  readonly transport: SimTransport;
  readonly storage: ServerStorage;
  readonly log: (message: string) => void;
}

/**
 * Trains the ranker in federated rounds on top of the federated collab model and the LDP
 * popularity, then scores the whole engine four ways: with the federated ranker, with the
 * starting ranker, with a centrally fitted ranker on the same models, and the central engine.
 */
export async function runRankerPhase(
  input: RankerPhaseInput,
): Promise<{ federated: ReportSection; central: ReportSection }> {
  const { data, split, ranker: rankerOptions, noise: rankerNoise, transport, storage, log } = input;
  const worlds = await hearthWorlds(data, split, {
    encoder: input.encoder,
    federatedCollab: input.federatedCollab,
    centralCollab: input.centralCollab,
    ldpCounts: input.ldpCounts,
    userState: DEFAULT_USER_STATE_CONFIG,
    examplesPerUser: rankerOptions.examplesPerClient,
    log,
  });
  // The ranker starts at 0 on every feature it trains (all but the fixed prompt weight).
  const trainedFeatures = learnableFeatures();
  const columns = rankerColumns(trainedFeatures);
  const start = new Float32Array(trainedFeatures.length);
  await admin(
    transport,
    'PUT',
    '/v1/admin/model',
    modelUploadBody('ranker', start, {
      kind: 'ranker',
      features: trainedFeatures,
    }),
  );
  await admin(transport, 'POST', '/v1/admin/round', {
    model: 'ranker',
    minUpdates: rankerOptions.clientsPerRound,
    clipNorm: rankerOptions.clipNorm,
    noiseMultiplier: rankerNoise,
    localSteps: rankerOptions.localSteps,
    learningRate: rankerOptions.learningRate,
  });
  // Whole cohorts only, so no client is asked for more updates than its noise allows.
  const rankerRounds = Math.max(
    1,
    Math.floor((rankerOptions.participations * input.clients) / rankerOptions.clientsPerRound),
  );
  log(
    `hearth: ${rankerRounds} ranker rounds × ${rankerOptions.clientsPerRound} clients, z = ${rankerNoise.toFixed(3)}, C = ${rankerOptions.clipNorm}, ${worlds.federatedGroups.size} clients with a local example`,
  );
  const t1 = performance.now();
  const groups = worlds.federatedGroups;
  const rankerCounts = await runRounds(
    input.participants,
    {
      rounds: rankerRounds,
      perRound: rankerOptions.clientsPerRound,
      rng: seededRng(input.seed + 11),
      label: 'hearth ranker',
    },
    (u) => ({ rankerGroups: groups.get(u) ?? [] }),
    log,
  );
  const fedRanker = storage.latestModel('ranker');
  const scored = await scoreRankers(split, worlds, columns, start, fedRanker?.params ?? start, log);
  return {
    federated: {
      ...scored.federated,
      budgetShare: input.budgetShare,
      noiseMultiplier: rankerNoise,
      clipNorm: rankerOptions.clipNorm,
      rounds: rankerRounds,
      clientsPerRound: rankerOptions.clientsPerRound,
      participationsPerClient: rankerOptions.participations,
      clientsWithExample: groups.size,
      examples: [...groups.values()].reduce((n, g) => n + g.length, 0),
      modelVersion: fedRanker?.version ?? 0,
      uploads: rankerCounts.uploads,
      skipped: rankerCounts.skipped,
      refusedByLedger: rankerCounts.refused,
      bytesPerUpload:
        rankerCounts.uploads === 0 ? 0 : rankerCounts.uploadedBytes / rankerCounts.uploads,
      seconds: (performance.now() - t1) / 1000,
    },
    central: scored.central,
  };
}

/**
 * Scores the whole engine four ways: the privately trained ranker (`trained`, over `columns`) and
 * the starting one (`start`) on the private world, a ranker fitted centrally on the private
 * world's own examples (the same models), and the central engine with its central ranker.
 */
export async function scoreRankers(
  split: Split,
  worlds: HearthWorlds,
  columns: ReturnType<typeof rankerColumns>,
  start: Float32Array,
  trained: ArrayLike<number>,
  log: (message: string) => void,
): Promise<{
  federated: ReportSection & RankingFigures & { readonly untrainedRanker: RankingFigures };
  central: ReportSection & RankingFigures;
}> {
  const fedWeights = expandRankerWeights(columns, trained);
  const userState = DEFAULT_USER_STATE_CONFIG;
  const federatedHearth = await evaluateHearth(
    split,
    worlds.federated,
    linearRanker('federated', fedWeights, 0),
    userState,
  );
  const untrained = await evaluateHearth(
    split,
    worlds.federated,
    linearRanker('untrained', expandRankerWeights(columns, start), 0),
    userState,
  );
  const sameModelsWeights = centralRankerWeights(worlds.federatedGroups);
  const centralRankerOnFederated = await evaluateHearth(
    split,
    worlds.federated,
    linearRanker('central-on-federated', sameModelsWeights, 0),
    userState,
  );
  const centralWeights = centralRankerWeights(worlds.centralGroups);
  const centralHearth = await evaluateHearth(
    split,
    worlds.central,
    linearRanker('central', centralWeights, 0),
    userState,
  );
  const rounded = (w: readonly number[]) => w.map((x) => Math.round(x * 1e4) / 1e4);
  log(
    `hearth: private NDCG@10 ${federatedHearth.ndcg10.toFixed(4)}, central ${centralHearth.ndcg10.toFixed(4)} (same models, central ranker ${centralRankerOnFederated.ndcg10.toFixed(4)}; untrained ${untrained.ndcg10.toFixed(4)})`,
  );
  return {
    federated: {
      ...federatedHearth,
      ndcgRatioToCentral: federatedHearth.ndcg10 / centralHearth.ndcg10,
      ndcgRatioToCentralRanker: federatedHearth.ndcg10 / centralRankerOnFederated.ndcg10,
      untrainedRanker: untrained,
      centralRankerOnFederatedModels: centralRankerOnFederated,
      weights: rounded(fedWeights),
    },
    central: { ...centralHearth, weights: rounded(centralWeights) },
  };
}
