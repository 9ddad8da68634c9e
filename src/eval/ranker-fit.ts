/**
 * Fits the ranker on a MovieLens folder without touching test items: the leave-last-out
 * training part is split again (each user's last training item is the validation target), the
 * collab model is trained on what remains, and the ranker learns to pick the validation item.
 */
import type { Encoder } from '../encoder/types.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import type { CollabTrainOptions } from '../models/collab-train.ts';
import { type RankerTrainOptions, trainRankerWeights } from '../models/ranker-train.ts';
import { prepareSplit, rankerGroups } from './hearth-method.ts';
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
  const { context } = await prepareSplit(data, validation, options);
  const groups = rankerGroups(context, validation, options.userState);
  options.log(`fitting the ranker on ${groups.length} groups`);
  const { weights, loss } = trainRankerWeights(groups, options.ranker);
  return { weights, loss, groups: groups.length, users: validation.users.length };
}
