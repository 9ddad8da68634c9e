/**
 * Hearth's engine on a MovieLens split: the catalog context, events from training rows, and
 * the groups used to fit the ranker on a validation split. Calls the same `recommendFor` as the
 * browser.
 */
import type { Encoder } from '../encoder/types.ts';
import type { CollabModel } from '../engine/collab-model.ts';
import { createEngineContext, type EngineContext } from '../engine/context.ts';
import type { Ranker, RankerGroup } from '../engine/ranker.ts';
import { localRankingExamples } from '../engine/ranker-examples.ts';
import {
  DEFAULT_RECOMMEND_CONFIG,
  type RecommendConfig,
  recommendFor,
} from '../engine/recommend.ts';
import type { SequenceModel } from '../engine/sequence-model.ts';
import type { EngineEvent, EngineItem } from '../engine/types.ts';
import { buildUserState, type UserStateConfig } from '../engine/user-state.ts';
import { type CollabTrainOptions, trainCollab } from '../models/collab-train.ts';
import { trainSequenceModel } from '../models/sequence-train.ts';
import { seededRng } from '../shared/rng.ts';
import { type MovieLensData, movieText } from './movielens.ts';
import type { Split } from './split.ts';

/** Engine items for the split's item universe, with the text that is embedded. */
export function movieItems(
  data: MovieLensData,
  itemIds: readonly string[],
): { items: EngineItem[]; texts: string[] } {
  const texts: string[] = [];
  const items = itemIds.map((id) => {
    const movie = data.movies.get(id) ?? { title: `movie ${id}`, genres: [], tags: [] };
    const text = movieText(movie);
    texts.push(text);
    return { id, title: movie.title, categories: movie.genres, text: text.toLowerCase() };
  });
  return { items, texts };
}

/** Embeds texts in batches into one row-major matrix. */
export async function embedAll(
  encoder: Encoder,
  texts: readonly string[],
  batch = 256,
): Promise<Float32Array> {
  const d = encoder.info.dims;
  const out = new Float32Array(texts.length * d);
  for (let start = 0; start < texts.length; start += batch) {
    const vectors = await encoder.embed(texts.slice(start, start + batch));
    vectors.forEach((v, i) => {
      out.set(v, (start + i) * d);
    });
  }
  return out;
}

/** Counts of distinct training users per item row. */
export function userCounts(split: Split): Float32Array {
  const counts = new Float32Array(split.itemIds.length);
  for (const rows of split.train) for (const r of new Set(rows)) counts[r]! += 1;
  return counts;
}

/** What `prepareSplit` needs: the encoder, the collab training options and a seed. */
export interface PrepareSplitOptions {
  readonly encoder: Encoder;
  readonly collab: CollabTrainOptions;
  readonly seed: number;
  readonly log: (message: string) => void;
}

/**
 * Everything the engine needs for a split, learned from its training part only: item texts
 * embedded with the encoder, the factored collab model and the sequence model.
 */
export async function prepareSplit(
  data: MovieLensData,
  split: Split,
  options: PrepareSplitOptions,
): Promise<{
  context: EngineContext;
  items: EngineItem[];
  vectors: Float32Array;
  collab: CollabModel;
  sequence: SequenceModel;
}> {
  const { items, texts } = movieItems(data, split.itemIds);
  options.log(`embedding ${texts.length} item texts with ${options.encoder.info.id}`);
  const vectors = await embedAll(options.encoder, texts);
  options.log(
    `training the collab model (${options.collab.epochs} epochs, ${options.collab.dims} dims)`,
  );
  const trained = trainedItems(split);
  const collab = trainCollab(
    trained.itemIds,
    trained.sequences,
    options.collab,
    seededRng(options.seed),
    (e, loss) => options.log(`  epoch ${e + 1}: loss ${loss.toFixed(3)}`),
  );
  const sequence = trainSequenceModel(trained.itemIds, trained.sequences);
  const context = splitContext(split, items, vectors, options.encoder.info.dims, collab, sequence);
  return { context, items, vectors, collab, sequence };
}

/**
 * The private floor's context: what a device knows with no shared data at all (item content
 * only; no popularity prior, no collab or sequence model).
 */
export function privateFloorContext(
  items: readonly EngineItem[],
  vectors: Float32Array,
  dims: number,
): EngineContext {
  return createEngineContext({ items, vectors, dims, collab: null, sequence: null });
}

/** Builds the engine context for a split (popularity prior = training counts). */
export function splitContext(
  split: Split,
  items: readonly EngineItem[],
  vectors: Float32Array,
  dims: number,
  collab: CollabModel | null,
  sequence: SequenceModel | null = null,
): EngineContext {
  const counts = userCounts(split);
  const popularity = new Map(split.itemIds.map((id, row) => [id, counts[row]!]));
  return createEngineContext({ items, vectors, dims, collab, sequence, popularity });
}

/** A user's training rows as 'view' events (ratings are implicit interactions). */
export function eventsOf(split: Split, user: number): EngineEvent[] {
  const rows = split.train[user] ?? [];
  const times = split.trainTimes[user] ?? [];
  return rows.map((row, i) => ({
    kind: 'view',
    itemId: split.itemIds[row]!,
    at: times[i]! * 1000,
  }));
}

/** The time a user's recommendation is asked for: just after their last training event. */
export function nowOf(split: Split, user: number): number {
  const times = split.trainTimes[user] ?? [];
  return ((times[times.length - 1] ?? 0) + 1) * 1000;
}

/** The recommendation config of evaluation: the engine's, without exploration. */
export function evaluationConfig(
  base: RecommendConfig = DEFAULT_RECOMMEND_CONFIG,
): RecommendConfig {
  return { ...base, post: { ...base.post, exploration: 0 } };
}

/** Hearth's top-`k` item ids for one user of a split (the engine's `recommendFor`). */
export async function hearthTopK(
  context: EngineContext,
  split: Split,
  user: number,
  ranker: Ranker,
  stateConfig: UserStateConfig,
  config: RecommendConfig,
  k: number,
): Promise<string[]> {
  const now = nowOf(split, user);
  const state = buildUserState(context, eventsOf(split, user), stateConfig, now);
  const recs = await recommendFor(
    context,
    state,
    ranker,
    { limit: k, now, rng: seededRng(user) },
    config,
  );
  return recs.map((r) => r.itemId);
}

/** Ranker training groups: each user's candidates, labelled by the held-out validation item. */
export function rankerGroups(
  context: EngineContext,
  validation: Split,
  stateConfig: UserStateConfig,
): RankerGroup[] {
  return [...rankerGroupsByUser(context, validation, stateConfig).values()].flat();
}

/**
 * Ranker groups keyed by user index: `localRankingExamples` over the user's validation-split
 * events followed by their held-out validation item. The first example holds out that item; the
 * j-th holds out the user's j-th event from the end. Each group uses only that user's own events
 * and the public context, so it is what the user's device computes for a federated ranker round.
 */
export function rankerGroupsByUser(
  context: EngineContext,
  validation: Split,
  stateConfig: UserStateConfig,
  examplesPerUser = 1,
): Map<number, RankerGroup[]> {
  const groups = new Map<number, RankerGroup[]>();
  validation.users.forEach((_, user) => {
    const target = validation.test[user]!;
    if (target < 0) return;
    const events = [
      ...eventsOf(validation, user),
      { kind: 'view' as const, itemId: validation.itemIds[target]!, at: nowOf(validation, user) },
    ];
    const examples = localRankingExamples(context, events, stateConfig, examplesPerUser);
    if (examples.length > 0) groups.set(user, examples);
  });
  return groups;
}

/**
 * The collab model's items are those seen in training: an item absent from training (a cold
 * item) must not get a row, or sampled negatives would push its bias down; with no row the
 * engine treats it as unknown to the model and reaches it through content.
 */
export function trainedItems(split: Split): { itemIds: string[]; sequences: number[][] } {
  const remap = new Map<number, number>();
  const itemIds: string[] = [];
  const sequences = split.train.map((rows) =>
    rows.map((r) => {
      let m = remap.get(r);
      if (m === undefined) {
        m = itemIds.length;
        remap.set(r, m);
        itemIds.push(split.itemIds[r]!);
      }
      return m;
    }),
  );
  return { itemIds, sequences };
}
