/**
 * Fits the ranker on a MovieLens folder without touching test items: the leave-last-out
 * training part is split again (each user's last training item is the validation target), the
 * collab model is trained on what remains, and the ranker learns to pick the validation item.
 */
import type { Encoder } from '../encoder/types.ts';
import { type CollabTrainOptions, trainCollab } from '../engine/collab-train.ts';
import { type RankerTrainOptions, trainRankerWeights } from '../engine/ranker-train.ts';
import { trainSequenceModel } from '../engine/sequence-model.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import { seededRng } from '../shared/rng.ts';
import { embedAll, movieItems, rankerGroups, splitContext, trainedItems } from './hearth-method.ts';
import type { MovieLensData } from './movielens.ts';
import { leaveLastOut, validationSplit } from './split.ts';

/** Inputs of `fitRanker`. */
export interface FitRankerOptions {
  readonly encoder: Encoder;
  readonly collab: CollabTrainOptions;
  readonly userState: UserStateConfig;
  readonly ranker: RankerTrainOptions;
  readonly seed: number;
  readonly log: (message: string) => void;
}

/** Returns fitted weights, the final loss and how many users contributed a group. */
export async function fitRanker(
  data: MovieLensData,
  options: FitRankerOptions,
): Promise<{ weights: number[]; loss: number; groups: number; users: number }> {
  const validation = validationSplit(leaveLastOut(data.interactions));
  const { items, texts } = movieItems(data, validation.itemIds);
  options.log(`embedding ${texts.length} item texts`);
  const vectors = await embedAll(options.encoder, texts);
  options.log('training the collab model on the validation-training part');
  const trained = trainedItems(validation);
  const collab = trainCollab(
    trained.itemIds,
    trained.sequences,
    options.collab,
    seededRng(options.seed),
  );
  const sequence = trainSequenceModel(trained.itemIds, trained.sequences);
  const context = splitContext(
    validation,
    items,
    vectors,
    options.encoder.info.dims,
    collab,
    sequence,
  );
  const groups = rankerGroups(context, validation, options.userState);
  options.log(`fitting the ranker on ${groups.length} groups`);
  const { weights, loss } = trainRankerWeights(groups, options.ranker);
  return { weights, loss, groups: groups.length, users: validation.users.length };
}
