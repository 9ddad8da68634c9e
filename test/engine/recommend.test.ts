import { describe, expect, it } from 'vitest';
import type { EngineContext } from '../../src/engine/context.ts';
import { encodePrompt, parsePrompt } from '../../src/engine/prompt.ts';
import { linearRanker, type Ranker } from '../../src/engine/ranker.ts';
import {
  DEFAULT_RECOMMEND_CONFIG,
  type RecommendConfig,
  type RecommendInput,
  recommendFor,
} from '../../src/engine/recommend.ts';
import type { EngineEvent, RankedItem } from '../../src/engine/types.ts';
import {
  buildUserState,
  DEFAULT_USER_STATE_CONFIG,
  type UserState,
} from '../../src/engine/user-state.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';
import { bookContext } from './fixture.ts';

// sim_long, sim_short, sim_recent, collab, popularity, freshness, category, seen, sim_negative, sim_prompt, item_item
const ranker = linearRanker('test', [1, 1, 1, 0.5, 1, 1, 0.5, 0, -1, 4, 1], 0);
const config = {
  ...DEFAULT_RECOMMEND_CONFIG,
  post: { ...DEFAULT_RECOMMEND_CONFIG.post, exploration: 0 },
};
const at = 1_700_000_000_000;

/** The visitor's state after `events`, as of `now`. */
function stateAt(context: EngineContext, events: readonly EngineEvent[], now = at): UserState {
  return buildUserState(context, events, DEFAULT_USER_STATE_CONFIG, now);
}

/** `recommendFor` with the test ranker and config (no exploration) unless given, seeded. */
function recommend(
  context: EngineContext,
  state: UserState,
  input: Omit<RecommendInput, 'now' | 'rng'> & { readonly now?: number; readonly seed?: number },
  options: { readonly ranker?: Ranker; readonly config?: RecommendConfig } = {},
): Promise<RankedItem[]> {
  const { now = at, seed = 1, ...rest } = input;
  return recommendFor(
    context,
    state,
    options.ranker ?? ranker,
    { ...rest, now, rng: seededRng(seed) },
    options.config ?? config,
  );
}

describe('prompt parsing', () => {
  it('splits wanted words from negated phrases', () => {
    expect(parsePrompt('cozy mysteries, nothing too dark')).toEqual({
      positive: 'cozy mysteries',
      negations: ['dark'],
    });
    expect(parsePrompt('space adventure without robots but with humour').negations).toEqual([
      'robots',
    ]);
    expect(parsePrompt('no horror').positive).toBe('');
  });
});

describe('recommendFor', () => {
  it('gives a cold visitor popular items first, explained as popular', async () => {
    const { context } = await bookContext();
    const state = stateAt(context, []);
    const recs = await recommend(context, state, { limit: 3 });
    expect(state.cold).toBe(true);
    expect(recs[0]?.itemId).toBe('b7');
    expect(recs[0]?.reason).toEqual({ kind: 'popular' });
  });

  it('recommends neighbours of what the visitor liked, never the liked item, and says "liked"', async () => {
    const { context } = await bookContext();
    const state = stateAt(context, [{ kind: 'like', itemId: 'b1', at }]);
    const recs = await recommend(context, state, { limit: 3 });
    expect(recs.map((r) => r.itemId)).not.toContain('b1');
    expect(recs[0]?.itemId).toBe('b2');
    expect(recs[0]?.reason).toEqual({
      kind: 'similar',
      itemId: 'b1',
      title: 'cozy village mystery',
      action: 'like',
    });
    expect(recs[0]?.explanation).toBe('Because you liked cozy village mystery');
  });

  it('ignores events on unknown item ids', async () => {
    const { context } = await bookContext();
    const state = stateAt(context, [{ kind: 'view', itemId: 'gone', at }]);
    expect(state.cold).toBe(true);
  });

  it('negation in the prompt pushes matching items down', async () => {
    const { context } = await bookContext();
    const encoder = createFakeEncoder(64);
    const state = stateAt(context, []);
    const rank = async (text: string) => {
      const prompt = await encodePrompt(encoder, text);
      const recs = await recommend(context, state, { limit: 8, prompt });
      return recs.map((r) => r.itemId);
    };
    const plain = await rank('mystery');
    const negated = await rank('mystery, nothing dark');
    expect(plain.indexOf('b3')).toBeLessThan(4);
    expect(negated.slice(0, 4)).not.toContain('b3');
    expect(negated.slice(0, 4)).not.toContain('b4');
    expect(negated.indexOf('b3')).toBeGreaterThan(plain.indexOf('b3'));
  });

  it('explanations never mention deny-listed terms', async () => {
    const { context } = await bookContext();
    const state = stateAt(
      context,
      [
        { kind: 'like', itemId: 'b3', at },
        { kind: 'view', itemId: 'b5', at: at + 1 },
      ],
      at + 2,
    );
    const deny = { terms: ['murder', 'scifi', 'robot', 'popular'] };
    const recs = await recommend(
      context,
      state,
      { limit: 6, now: at + 2, seed: 2 },
      { config: { ...config, deny } },
    );
    expect(recs.length).toBe(6);
    for (const r of recs) {
      for (const term of deny.terms) expect(r.explanation.toLowerCase()).not.toContain(term);
    }
  });

  it('fatigue sinks an item shown often without interaction', async () => {
    const { context } = await bookContext();
    const state = stateAt(context, []);
    const impressions = new Map([['b7', 10]]);
    const recs = await recommend(context, state, { limit: 2, impressions });
    expect(recs.map((r) => r.itemId)).not.toContain('b7');
  });

  it('the exploration slot is seeded: same seed, same list', async () => {
    const { context } = await bookContext();
    const state = stateAt(context, [{ kind: 'view', itemId: 'b1', at }]);
    const explore = { ...config, post: { ...config.post, exploration: 1 } };
    const a = await recommend(context, state, { limit: 3, seed: 9 }, { config: explore });
    const b = await recommend(context, state, { limit: 3, seed: 9 }, { config: explore });
    expect(a).toEqual(b);
    expect(a.some((r) => r.reason.kind === 'explore')).toBe(true);
  });

  it('unavailable and disliked items are never recommended', async () => {
    const { context, items, vectors } = await bookContext();
    const { createEngineContext } = await import('../../src/engine/context.ts');
    const ctx = createEngineContext({
      items: items.map((i) => (i.id === 'b2' ? { ...i, available: false } : i)),
      vectors,
      dims: context.dims,
    });
    const state = stateAt(
      ctx,
      [
        { kind: 'like', itemId: 'b1', at },
        { kind: 'dislike', itemId: 'b3', at: at + 1 },
      ],
      at + 2,
    );
    const recs = await recommend(ctx, state, { limit: 7, now: at + 2 });
    expect(recs.map((r) => r.itemId)).not.toContain('b2');
    expect(recs.map((r) => r.itemId)).not.toContain('b3');
  });
});

describe('cold items', () => {
  it('a new item with no interaction history reaches the list through its content', async () => {
    // Arrange: every item but b2 has a popularity count, so b2 is the only cold item
    const { createEngineContext } = await import('../../src/engine/context.ts');
    const { items, vectors } = await bookContext();
    const popularity = new Map(items.map((item, i) => [item.id, item.id === 'b2' ? 0 : 10 + i]));
    const context = createEngineContext({ items, vectors, dims: 64, popularity });
    const state = stateAt(context, [{ kind: 'like', itemId: 'b7', at }], at + 1);
    const noCold = { ...config, post: { ...config.post, coldSlots: 0 } };
    // Act
    const withSlot = await recommend(context, state, { limit: 2, now: at + 1 });
    const withoutSlot = await recommend(
      context,
      state,
      { limit: 2, now: at + 1 },
      { config: noCold },
    );
    // Assert
    expect(context.cold[context.rowOf.get('b2')!]).toBe(1);
    expect(context.coldCount).toBe(1);
    expect(withoutSlot.map((r) => r.itemId)).not.toContain('b2');
    expect(withSlot.map((r) => r.itemId)).toContain('b2');
    expect(withSlot[1]!.itemId).toBe('b2');
    expect(withSlot[0]!.itemId).toBe(withoutSlot[0]!.itemId);
  });

  it('no item is cold when the engine has no history signal at all', async () => {
    const { createEngineContext } = await import('../../src/engine/context.ts');
    const { items, vectors } = await bookContext();
    const context = createEngineContext({ items, vectors, dims: 64 });
    expect(context.coldCount).toBe(0);
  });
});

describe('fresh candidates', () => {
  it('takes the newest items that are not skipped, newest first', async () => {
    // Arrange
    const { createEngineContext } = await import('../../src/engine/context.ts');
    const { generateCandidates, DEFAULT_CANDIDATE_CONFIG } = await import(
      '../../src/engine/candidates.ts'
    );
    const { freshnessOf } = await import('../../src/engine/features.ts');
    const { items, vectors } = await bookContext();
    const dated = items.map((item, i) =>
      i < 4 ? { ...item, createdAt: at - i * 86_400_000 } : item,
    );
    const context = createEngineContext({ items: dated, vectors, dims: 64 });
    const state = stateAt(context, [{ kind: 'view', itemId: 'b1', at }]);
    const signals = {
      collab: null,
      itemItem: null,
      freshness: freshnessOf(context, at, 14),
      prompt: null,
    };
    const only = {
      ...DEFAULT_CANDIDATE_CONFIG,
      semantic: 0,
      recent: 0,
      popular: 0,
      cold: 0,
      fresh: 2,
    };
    // Act
    const rows = generateCandidates(context, state, signals, only);
    // Assert: b1 (newest) was viewed, so b2 and b3 follow; undated items never count as fresh
    expect(rows.map((r) => dated[r]!.id)).toEqual(['b2', 'b3']);
    expect(context.newestFirst.length).toBe(4);
  });
});

describe('sequence model in the pipeline', () => {
  it('ranks what others took next first and explains it by the history item', async () => {
    // Arrange: in others' sequences b5 (space opera) is followed by b8 (baking)
    const { createEngineContext } = await import('../../src/engine/context.ts');
    const { trainSequenceModel } = await import('../../src/models/sequence-train.ts');
    const { items, vectors } = await bookContext();
    const ids = items.map((i) => i.id);
    const row = (id: string) => ids.indexOf(id);
    const sequence = trainSequenceModel(ids, [
      [row('b5'), row('b8')],
      [row('b5'), row('b8')],
      [row('b1'), row('b2')],
    ]);
    const context = createEngineContext({ items, vectors, dims: 64, sequence });
    const itemItemOnly = linearRanker('seq', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0);
    const state = stateAt(context, [{ kind: 'view', itemId: 'b5', at }]);
    // Act
    const recs = await recommend(context, state, { limit: 2 }, { ranker: itemItemOnly });
    // Assert
    expect(recs[0]!.itemId).toBe('b8');
    expect(recs[0]!.reason).toEqual({
      kind: 'collab',
      itemId: 'b5',
      title: 'space opera adventure',
    });
  });
});
