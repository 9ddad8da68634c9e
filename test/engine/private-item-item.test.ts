/**
 * The private item-item model in the engine: a served model (built by the collector from DP
 * releases) changes the ranking, a released pair is explained as "Visitors who liked X also liked
 * this", and the public kernel never claims that visitors took two items together ("Popular, and
 * close in year to X", "Popular in C").
 */
import { describe, expect, it } from 'vitest';
import { createEngineContext, type EngineContext } from '../../src/engine/context.ts';
import type { CooccurrenceModel } from '../../src/engine/cooccurrence-model.ts';
import { createMemoryEventLog } from '../../src/engine/events.ts';
import { explain } from '../../src/engine/explain.ts';
import { FEATURE_COUNT, featureIndex } from '../../src/engine/features.ts';
import { createMemoryPromptStore } from '../../src/engine/prompt-store.ts';
import { recommendFor } from '../../src/engine/recommend.ts';
import { createEngineService } from '../../src/engine/service.ts';
import type { EngineEvent, EngineItem } from '../../src/engine/types.ts';
import { buildUserState, DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import {
  buildCooccurrence,
  type HistogramRelease,
  type PairRelease,
} from '../../src/models/cooccurrence-build.ts';
import { cooccurrenceModelOfEntry } from '../../src/models/cooccurrence-format.ts';
import { histogramMeasurement, pairCountsMeasurement } from '../../src/models/private-tasks.ts';
import type { PublicItem } from '../../src/models/public-items.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';
import { servedCooccurrenceEntry } from '../../support/synthetic-releases.ts';
import { NO_EXPLORATION, shippedRanker } from './fixture.ts';

const ranker = shippedRanker();
const config = NO_EXPLORATION;
const NOW = Date.parse('2026-01-01T00:00:00Z');
const DIMS = 64;
const N = 40;
const WORDS = ['lantern', 'harbour', 'orchard', 'glacier', 'meadow', 'canyon', 'citadel', 'bazaar'];

/** 40 items in 8 content groups and 4 categories; item i was released in 1960 + i. */
const ITEMS: EngineItem[] = Array.from({ length: N }, (_, i) => ({
  id: `i${i}`,
  title: `Title ${i}`,
  categories: [`c${i % 4}`],
  text: `${WORDS[i % 8]} story number${i}`,
}));
const X = 'i5';
const Y = 'i30'; // 25 years from X, another content group: nothing public links them

function publicCatalog(withYears: boolean): Map<string, PublicItem> {
  return new Map(
    ITEMS.map((item, i): [string, PublicItem] => [
      item.id,
      {
        id: item.id,
        categories: [...item.categories],
        numbers: withYears ? { year: 1960 + i } : {},
      },
    ]),
  );
}

/** Releases with every item about as popular, and one pair (X, Y) far above the noise. */
function releases(): { histogram: HistogramRelease; pairs: PairRelease } {
  const ids = ITEMS.map((i) => i.id);
  const popularity = ids.map((_, i) => 200 + (i % 7));
  const histogram: HistogramRelease = {
    taskId: 'hist',
    measurement: histogramMeasurement(ids),
    sigma: 2,
    rho: 0.3,
    reports: 5_000,
    sum: popularity,
  };
  const design = pairCountsMeasurement(ids, popularity, null);
  const xy = [design.items.indexOf(X), design.items.indexOf(Y)].sort((a, b) => a - b);
  const pairs: PairRelease = {
    taskId: 'pairs',
    measurement: design,
    sigma: 2,
    rho: 0.7,
    reports: 5_000,
    sum: design.cells.map(([a, b]) => (a === xy[0] && b === xy[1] ? 800 : 0)),
  };
  return { histogram, pairs };
}

/** The model as a device gets it: built by the collector, sent as `cooccurrence.served`. */
function servedModel(withYears = true): CooccurrenceModel {
  const { histogram, pairs } = releases();
  const built = buildCooccurrence({
    histogram,
    pairs,
    catalog: publicCatalog(withYears),
    delta: 1e-6,
  });
  return cooccurrenceModelOfEntry(servedCooccurrenceEntry(built));
}

async function vectors(): Promise<Float32Array> {
  const embedded = await createFakeEncoder(DIMS).embed(ITEMS.map((i) => i.text));
  const out = new Float32Array(N * DIMS);
  embedded.forEach((v, i) => {
    out.set(v, i * DIMS);
  });
  return out;
}

const liked: EngineEvent[] = [{ kind: 'like', itemId: X, at: NOW - 60_000 }];

async function recommend(context: EngineContext, events = liked) {
  const state = buildUserState(context, events, DEFAULT_USER_STATE_CONFIG, NOW);
  return recommendFor(context, state, ranker, { limit: 10, now: NOW, rng: seededRng(1) }, config);
}

describe('the served private item-item model in the engine', () => {
  it('changes the ranking: the released partner of a liked item comes first', async () => {
    // Arrange: the same catalog and the same DP popularity, with and without the model.
    const v = await vectors();
    const model = servedModel();
    const popularity = new Map(model.itemIds.map((id, row) => [id, model.popularity[row]!]));
    const base = createEngineContext({ items: ITEMS, vectors: v, dims: DIMS, popularity });
    const served = createEngineContext({
      items: ITEMS,
      vectors: v,
      dims: DIMS,
      cooccurrence: model,
    });
    // Act
    const without = await recommend(base);
    const withModel = await recommend(served);
    // Assert
    expect(without.map((r) => r.itemId)).not.toContain(Y);
    expect(withModel[0]?.itemId).toBe(Y);
    expect(withModel.map((r) => r.itemId)).not.toEqual(without.map((r) => r.itemId));
  });

  it("explains a released pair as 'Visitors who liked X also liked this'", async () => {
    const context = createEngineContext({
      items: ITEMS,
      vectors: await vectors(),
      dims: DIMS,
      cooccurrence: servedModel(),
    });
    const results = await recommend(context);
    const y = results.find((r) => r.itemId === Y);
    expect(y?.reason).toEqual({ kind: 'visitors', itemId: X, title: 'Title 5' });
    expect(y?.explanation).toBe('Visitors who liked Title 5 also liked this');
    // No other item has a released pair with X: none claims that visitors took it with X.
    expect(results.filter((r) => r.reason.kind === 'visitors').map((r) => r.itemId)).toEqual([Y]);
  });

  it('takes over the item-item signal as the context is rebuilt (setCooccurrence)', async () => {
    // Arrange
    const v = await vectors();
    const events = createMemoryEventLog();
    const engine = createEngineService({
      catalog: { snapshot: async () => ({ items: ITEMS, vectors: v, dims: DIMS, version: 'c1' }) },
      encoder: createFakeEncoder(DIMS),
      ranker,
      events,
      promptStore: createMemoryPromptStore(),
      forgetStorage: async () => {},
      rng: seededRng(2),
      now: () => NOW,
      recommend: config,
    });
    await engine.track(liked[0]!);
    const before = await engine.recommend({ limit: 10 });
    // Act
    await engine.setCooccurrence(servedModel());
    const after = await engine.recommend({ limit: 10 });
    // Assert
    expect(before.map((r) => r.itemId)).not.toContain(Y);
    expect(after[0]).toMatchObject({ itemId: Y, reason: { kind: 'visitors', itemId: X } });
  });
});

describe('explanations of the public kernel', () => {
  /** The explanation of `row` when its item_item feature alone stands above the candidates. */
  function kernelReason(context: EngineContext, row: number) {
    const state = buildUserState(context, liked, DEFAULT_USER_STATE_CONFIG, NOW);
    const features = new Float32Array(FEATURE_COUNT);
    features[featureIndex('item_item')] = 1;
    return explain(
      {
        context,
        state,
        prompt: null,
        weights: ranker.weights,
        means: new Float32Array(FEATURE_COUNT),
        deny: { terms: [] },
      },
      row,
      features,
    );
  }

  it("says 'Popular, and close in year to X' for a popular item of X's era without a pair", async () => {
    const context = createEngineContext({
      items: ITEMS,
      vectors: await vectors(),
      dims: DIMS,
      cooccurrence: servedModel(),
    });
    const near = kernelReason(context, context.rowOf.get('i7')!); // 2 years from X
    const far = kernelReason(context, context.rowOf.get('i12')!); // 7 years from X
    expect(near.reason).toEqual({
      kind: 'popular-near',
      itemId: X,
      title: 'Title 5',
      attribute: 'year',
    });
    expect(near.text).toBe('Popular, and close in year to Title 5');
    expect(far.reason.kind).toBe('picked');
  });

  it("says 'Popular in C' with the category kernel, for a category of the visitor's items", async () => {
    const context = createEngineContext({
      items: ITEMS,
      vectors: await vectors(),
      dims: DIMS,
      cooccurrence: servedModel(false),
    });
    expect(context.cooccurrence?.kernel.kind).toBe('category');
    const same = kernelReason(context, context.rowOf.get('i9')!); // c1, like X
    const other = kernelReason(context, context.rowOf.get('i10')!); // c2
    expect(same.reason).toEqual({ kind: 'popular-in', category: 'c1' });
    expect(same.text).toBe('Popular in c1');
    expect(other.reason.kind).toBe('picked');
  });
});
