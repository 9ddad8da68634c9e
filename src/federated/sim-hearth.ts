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
import {
  DEFAULT_RANKER_TRAIN_OPTIONS,
  type RankerGroup,
  trainRankerWeights,
} from '../engine/ranker-train.ts';
import { trainSequenceModel } from '../engine/sequence-model.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import {
  embedAll,
  movieItems,
  rankerGroupsByUser,
  splitContext,
  trainedItems,
} from '../eval/hearth-method.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { type Split, validationSplit } from '../eval/split.ts';

/** The two contexts and each user's ranker example in them. */
export interface HearthWorlds {
  readonly federated: EngineContext;
  readonly central: EngineContext;
  readonly federatedGroups: ReadonlyMap<number, readonly RankerGroup[]>;
  readonly centralGroups: ReadonlyMap<number, readonly RankerGroup[]>;
}

/**
 * Builds both contexts for `split`. `ldpCounts` (aligned with split.itemIds) holds the LDP
 * popularity estimates; it is null when telemetry did not run, and then the federated context
 * has no popularity prior.
 */
export async function hearthWorlds(
  data: MovieLensData,
  split: Split,
  input: {
    readonly encoder: Encoder;
    readonly federatedCollab: CollabModel;
    readonly centralCollab: CollabModel;
    readonly ldpCounts: Float32Array | null;
    readonly userState: UserStateConfig;
    /** Ranking examples per user (see `rankerGroupsByUser`). */
    readonly examplesPerUser: number;
    readonly log: (message: string) => void;
  },
): Promise<HearthWorlds> {
  const { items, texts } = movieItems(data, split.itemIds);
  input.log(`hearth: embedding ${texts.length} item texts with ${input.encoder.info.id}`);
  const vectors = await embedAll(input.encoder, texts);
  const dims = input.encoder.info.dims;
  const trained = trainedItems(split);
  const sequence = trainSequenceModel(trained.itemIds, trained.sequences);
  const central = splitContext(split, items, vectors, dims, input.centralCollab, sequence);
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
  const validation = validationSplit(split);
  return {
    federated,
    central,
    federatedGroups: rankerGroupsByUser(
      federated,
      validation,
      input.userState,
      input.examplesPerUser,
    ),
    centralGroups: rankerGroupsByUser(central, validation, input.userState, input.examplesPerUser),
  };
}

/** Central (non-private) fit of the ranker on all users' groups. */
export function centralRankerWeights(
  groups: ReadonlyMap<number, readonly RankerGroup[]>,
): number[] {
  return trainRankerWeights([...groups.values()].flat(), DEFAULT_RANKER_TRAIN_OPTIONS).weights;
}
