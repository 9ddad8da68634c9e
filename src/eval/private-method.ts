/**
 * The privately trained engine on a MovieLens split: the DP statistics every visitor of the split
 * would report (simulated releases with the exact DAP noise), the collector's builder, the served
 * model through its wire form, and the engine with nothing else shared (no central popularity,
 * collab or sequence model). `hearth eval --private-models` ranks with it.
 */
import { Buffer } from 'node:buffer';
import { createEngineContext, type EngineContext } from '../engine/context.ts';
import { linearRanker, type Ranker } from '../engine/ranker.ts';
import type { EngineItem } from '../engine/types.ts';
import type { UserStateConfig } from '../engine/user-state.ts';
import {
  buildCooccurrence,
  type CooccurrenceParams,
  DEFAULT_COOCCURRENCE_PARAMS,
  type PairRelease,
  releasedPopularity,
  type ServedCooccurrence,
} from '../models/cooccurrence-build.ts';
import { cooccurrenceModelOfEntry } from '../models/cooccurrence-format.ts';
import {
  type BudgetPlan,
  histogramMeasurement,
  pairCountsMeasurement,
  planBudget,
} from '../models/private-tasks.ts';
import { attributeValues, type PublicItem, publicItemOf } from '../models/public-items.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS, trainRankerWeights } from '../models/ranker-train.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';
import { ModelEntrySchema } from '../protocol/model.ts';
import { rankerGroups } from './hearth-method.ts';
import { type MovieLensData, movieCatalogRows } from './movielens.ts';
import { population, simulateRelease } from './private-release.ts';
import type { Split } from './split.ts';

/** One private setting: the visitor-level ε of the window and how many visitors report. */
export interface PrivateSetting {
  readonly epsilon: number;
  /** 0 or the number of the split's users: each once; otherwise a seeded bootstrap of this size. */
  readonly population: number;
}

/** What one private build released and served. */
export interface PrivateBuildSummary {
  readonly epsilon: number;
  readonly delta: number;
  readonly population: number;
  readonly plan: BudgetPlan;
  readonly sigma: { readonly histogram: number; readonly pairs: number | null };
  readonly kernel: string;
  /** Pairs that cleared the noise threshold (of the pair task's cells). */
  readonly pairs: number;
  readonly cells: number;
  /** Size of the served model's `GET /v1/model` entry (JSON, bytes). */
  readonly servedBytes: number;
}

/** The catalog's public fields for the split's items (title year, genres). */
export function moviePublicItems(
  data: MovieLensData,
  itemIds: readonly string[],
): Map<string, PublicItem> {
  const out = new Map<string, PublicItem>();
  for (const row of movieCatalogRows(data, itemIds)) {
    const item = publicItemOf(row);
    if (item !== null) out.set(item.id, item);
  }
  return out;
}

/**
 * The engine context of the privately trained engine for a split: releases simulated from the
 * split's training histories (seeded), the model built and served through its wire form.
 */
export function privateEngineContext(
  data: MovieLensData,
  split: Split,
  engine: EngineCatalog,
  setting: PrivateSetting,
  seed: number,
  delta: number,
  params: CooccurrenceParams = DEFAULT_COOCCURRENCE_PARAMS,
): { context: EngineContext; summary: PrivateBuildSummary } {
  const ids = split.itemIds;
  const histories = split.train.map((rows) => rows.map((r) => ids[r]!));
  const size = setting.population > 0 ? setting.population : histories.length;
  const people = population(histories, size, seed);
  const plan = planBudget(setting.epsilon, delta, size);
  const catalog = moviePublicItems(data, ids);
  const histogram = simulateRelease(
    'simulated-histogram',
    histogramMeasurement(ids),
    plan.histogramRho,
    people,
    seed * 3 + 1,
  );
  let pairs: PairRelease | null = null;
  if (plan.usePairs) {
    const attribute = params.attribute;
    const measurement = pairCountsMeasurement(
      ids,
      releasedPopularity(histogram),
      attribute === null ? null : attributeValues(ids, catalog, attribute),
    );
    pairs = simulateRelease('simulated-pairs', measurement, plan.pairsRho, people, seed * 3 + 2);
  }
  const served = buildCooccurrence({ histogram, pairs, catalog, delta, params });
  const { context, servedBytes } = servedEngineContext(served, engine);
  return {
    context,
    summary: {
      epsilon: setting.epsilon,
      delta,
      population: size,
      plan,
      sigma: { histogram: histogram.sigma, pairs: pairs?.sigma ?? null },
      kernel:
        served.layout.kernel.kind === 'attribute'
          ? `attribute:${served.layout.kernel.field}`
          : served.layout.kernel.kind,
      pairs: served.layout.pairs.count,
      cells: pairs?.measurement.cells.length ?? 0,
      servedBytes,
    },
  };
}

/** The engine's catalog part: items, their vectors and the vectors' width. */
export interface EngineCatalog {
  readonly items: readonly EngineItem[];
  readonly vectors: Float32Array;
  readonly dims: number;
}

/**
 * The engine context of a device that downloaded the built model: the model goes through the wire
 * form a device reads (`GET /v1/model`), so the figures are those of the served model, not of the
 * builder's arrays. Also the size of that entry (JSON, bytes).
 */
export function servedEngineContext(
  served: ServedCooccurrence,
  engine: EngineCatalog,
): { context: EngineContext; servedBytes: number } {
  const bytes = Buffer.from(
    served.params.buffer,
    served.params.byteOffset,
    served.params.byteLength,
  );
  const body = JSON.stringify({
    name: `${COOCCURRENCE_MODEL}.served`,
    version: 1,
    length: served.params.length,
    encoding: 'f32-base64',
    data: bytes.toString('base64'),
    layout: served.layout,
  });
  const model = cooccurrenceModelOfEntry(ModelEntrySchema.parse(JSON.parse(body)));
  return {
    context: createEngineContext({ ...engine, cooccurrence: model }),
    servedBytes: Buffer.byteLength(body),
  };
}

/**
 * The linear ranker fitted on the validation split with the private models built from the
 * validation histories (test items unseen), as `--fit-ranker` does for the central engine.
 */
export function fitPrivateRanker(
  validation: Split,
  context: EngineContext,
  userState: UserStateConfig,
): Ranker {
  const groups = rankerGroups(context, validation, userState);
  const { weights } = trainRankerWeights(groups, DEFAULT_RANKER_TRAIN_OPTIONS);
  return linearRanker('fitted-on-validation (private models)', weights, 0);
}
