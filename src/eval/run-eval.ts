/**
 * The offline evaluation: leave-last-out, full ranking over every item the user has not
 * interacted with in training, HR@10 / NDCG@10 / coverage / novelty / ILD for popularity,
 * item-kNN and Hearth's engine (collab model trained on the training split only).
 */
import type { Encoder } from '../encoder/types.ts';
import type { Ranker } from '../engine/ranker.ts';
import type { RecommendConfig } from '../engine/recommend.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import type { CollabTrainOptions } from '../models/collab-train.ts';
import { seededRng } from '../shared/rng.ts';
import { itemKnnTopK, knnIndex, popularityTopK } from './baselines.ts';
import {
  evaluationConfig,
  hearthTopK,
  prepareSplit,
  privateFloorContext,
  userCounts,
} from './hearth-method.ts';
import { coverage } from './metrics/coverage.ts';
import { hitRate } from './metrics/hit-rate.ts';
import { intraListDiversity } from './metrics/ild.ts';
import { meanDefined } from './metrics/mean.ts';
import { ndcg } from './metrics/ndcg.ts';
import { novelty } from './metrics/novelty.ts';
import type { MovieLensData } from './movielens.ts';
import { leaveLastOut, removeColdItems, type Split } from './split.ts';

/** Figures for one method. */
export interface MethodFigures {
  readonly 'hr@10': number;
  readonly 'ndcg@10': number;
  readonly coverage: number;
  readonly novelty: number;
  readonly ild: number;
}

/** The `--json` report. */
export interface EvalReport {
  readonly dataset: {
    readonly users: number;
    readonly items: number;
    readonly interactions: number;
  };
  readonly methods: Record<string, MethodFigures>;
  readonly cold_items?: {
    readonly fraction: number;
    readonly items: number;
    readonly cases: number;
    readonly methods: Record<string, { readonly 'hr@10': number; readonly 'ndcg@10': number }>;
  };
  readonly models: {
    readonly encoder: string;
    readonly ranker: string;
    readonly collab: string;
    readonly sequence: string;
  };
}

/** Inputs of one evaluation. */
export interface EvalOptions {
  readonly encoder: Encoder;
  readonly ranker: Ranker;
  readonly collab: CollabTrainOptions;
  readonly userState: UserStateConfig;
  readonly recommend?: RecommendConfig;
  readonly coldItems?: number;
  readonly seed: number;
  readonly log: (message: string) => void;
}

const K = 10;

/** Runs the whole evaluation on a loaded dataset. */
export async function evaluate(data: MovieLensData, options: EvalOptions): Promise<EvalReport> {
  let split: Split = leaveLastOut(data.interactions);
  let cold: ReadonlySet<number> = new Set();
  if (options.coldItems !== undefined && options.coldItems > 0) {
    ({ split, cold } = removeColdItems(split, options.coldItems, seededRng(options.seed + 1)));
  }
  const { context, vectors, collab, sequence, items } = await prepareSplit(data, split, options);
  // The engine with no shared data at all: content, session and prompt on the device, the shipped
  // ranker; no popularity, no collab and no sequence model. Every private model must beat it.
  const floor = privateFloorContext(items, vectors, options.encoder.info.dims);
  const counts = userCounts(split);
  const knn = knnIndex(split);
  const config = evaluationConfig(options.recommend);
  const lists: Record<string, string[][]> = {
    popularity: [],
    'item-knn': [],
    hearth: [],
    'private-floor': [],
  };
  const targets: number[] = [];
  options.log('ranking');
  for (let user = 0; user < split.users.length; user++) {
    const target = split.test[user]!;
    if (target < 0) continue;
    targets.push(target);
    const ids = (rows: number[]) => rows.map((r) => split.itemIds[r]!);
    lists.popularity!.push(ids(popularityTopK(split, counts, user, K)));
    lists['item-knn']!.push(ids(itemKnnTopK(knn, user, K)));
    lists.hearth!.push(
      await hearthTopK(context, split, user, options.ranker, options.userState, config, K),
    );
    lists['private-floor']!.push(
      await hearthTopK(floor, split, user, options.ranker, options.userState, config, K),
    );
  }
  const rowOf = context.rowOf;
  const vectorOf = (id: string) => {
    const row = rowOf.get(id);
    return row === undefined
      ? undefined
      : vectors.subarray(row * context.dims, (row + 1) * context.dims);
  };
  const countOf = (id: string) => counts[rowOf.get(id) ?? -1] ?? 0;
  const trainUsers = split.train.filter((rows) => rows.length > 0).length;
  const methods: Record<string, MethodFigures> = {};
  const coldMethods: Record<string, { 'hr@10': number; 'ndcg@10': number }> = {};
  let coldCases = 0;
  for (const [name, userLists] of Object.entries(lists)) {
    const relevant = targets.map((t) => new Set([split.itemIds[t]!]));
    methods[name] = {
      'hr@10': meanDefined(userLists.map((l, i) => hitRate(l, relevant[i]!, K))),
      'ndcg@10': meanDefined(userLists.map((l, i) => ndcg(l, relevant[i]!, K))),
      coverage: coverage(userLists, split.itemIds.length),
      novelty: meanDefined(userLists.map((l) => novelty(l, countOf, trainUsers))),
      ild: meanDefined(userLists.map((l) => intraListDiversity(l, vectorOf))),
    };
    if (cold.size > 0) {
      const coldIdx = targets.map((t, i) => (cold.has(t) ? i : -1)).filter((i) => i >= 0);
      coldCases = coldIdx.length;
      coldMethods[name] = {
        'hr@10': meanDefined(coldIdx.map((i) => hitRate(userLists[i]!, relevant[i]!, K))),
        'ndcg@10': meanDefined(coldIdx.map((i) => ndcg(userLists[i]!, relevant[i]!, K))),
      };
    }
  }
  return {
    dataset: {
      users: split.users.length,
      items: split.itemIds.length,
      interactions: data.interactions.length,
    },
    methods,
    ...(cold.size > 0
      ? {
          cold_items: {
            fraction: options.coldItems ?? 0,
            items: cold.size,
            cases: coldCases,
            methods: coldMethods,
          },
        }
      : {}),
    models: {
      encoder: options.encoder.info.version,
      ranker: options.ranker.version,
      collab: collab.version,
      sequence: sequence.version,
    },
  };
}
