/**
 * Explanations must be true and a first visit varied, on real catalogs embedded with the shipped
 * encoder and ranked with the shipped ranker: the demo's 300 books and a 20-item gear catalog.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedText } from '../../src/catalog/embed-text.ts';
import { normalizeItem } from '../../src/catalog/normalize.ts';
import { createEncoder } from '../../src/encoder/index.ts';
import { createEngineContext, type EngineContext, itemVector } from '../../src/engine/context.ts';
import { SIMILAR_REASON_MIN } from '../../src/engine/explain.ts';
import { recommendFor } from '../../src/engine/recommend.ts';
import type { EngineEvent, RankedItem } from '../../src/engine/types.ts';
import { buildUserState, DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import type { CatalogItem } from '../../src/protocol/catalog.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { dot } from '../../src/shared/vector-math.ts';
import { toEngineItem } from '../../src/worker/catalog-source.ts';
import { GEAR_CATALOG, GEAR_CATEGORIES } from '../../support/gear-catalog.ts';
import { NO_EXPLORATION, shippedRanker } from './fixture.ts';

const ranker = shippedRanker();
const config = NO_EXPLORATION;
const NOW = Date.parse('2026-01-01T00:00:00Z');

interface RealCatalog {
  readonly context: EngineContext;
  readonly id: (title: string) => string;
}

/** The catalog as the worker sees it: normalised items, embedded with the shipped encoder. */
async function realCatalog(raw: readonly unknown[]): Promise<RealCatalog> {
  const items = raw.map((r) => {
    const result = normalizeItem(r);
    if (!result.ok) throw new Error(`fixture item rejected: ${JSON.stringify(result.issues)}`);
    return result.item;
  });
  const encoder = await createEncoder();
  const embedded = await encoder.embed(items.map((i: CatalogItem) => embedText(i)));
  await encoder.dispose();
  const dims = embedded[0]!.length;
  const vectors = new Float32Array(items.length * dims);
  embedded.forEach((v, i) => {
    vectors.set(v, i * dims);
  });
  const context = createEngineContext({ items: items.map(toEngineItem), vectors, dims });
  return {
    context,
    id: (title) => {
      const found = items.find((i) => i.title === title);
      if (found === undefined) throw new Error(`no item titled ${title}`);
      return found.id;
    },
  };
}

function recommend(
  catalog: RealCatalog,
  events: readonly EngineEvent[],
  limit: number,
  exploration = 0,
): Promise<RankedItem[]> {
  const state = buildUserState(catalog.context, events, DEFAULT_USER_STATE_CONFIG, NOW);
  return recommendFor(
    catalog.context,
    state,
    ranker,
    { limit, now: NOW, rng: seededRng(1) },
    { ...config, post: { ...config.post, exploration } },
  );
}

const cosine = (catalog: RealCatalog, a: string, b: string) => {
  const { context } = catalog;
  return dot(
    itemVector(context, context.rowOf.get(a)!),
    itemVector(context, context.rowOf.get(b)!),
  );
};

const category = (id: string) => GEAR_CATALOG.find((g) => g.id === id)?.category;

let gear: RealCatalog;
let books: RealCatalog;

beforeAll(async () => {
  gear = await realCatalog(GEAR_CATALOG);
  books = await realCatalog(JSON.parse(readFileSync('public/demo-catalog.json', 'utf8')));
}, 60_000);

describe('explanations are true', () => {
  it('never explains the Kids Sleeping Bag by the Steel Crampons a visitor viewed', async () => {
    // Arrange
    const crampons = gear.id('Steel Crampons');
    const kidsBag = gear.id('Kids Sleeping Bag');
    // Act: the whole catalog, so the sleeping bag is surely in the list.
    const recs = await recommend(gear, [{ kind: 'view', itemId: crampons, at: NOW - 60_000 }], 19);
    // Assert
    const bag = recs.find((r) => r.itemId === kidsBag);
    expect(bag).toBeDefined();
    expect(bag?.explanation).not.toContain('Steel Crampons');
    expect(cosine(gear, kidsBag, crampons)).toBeLessThan(SIMILAR_REASON_MIN);
  });

  it('names a viewed item only when it is similar enough (every "Because you …" of both catalogs)', async () => {
    // Arrange
    const hound = books.id('The Hound of the Baskervilles');
    const cases: [RealCatalog, string][] = [
      [books, hound],
      [books, books.id('Dracula')],
      [gear, gear.id('Steel Crampons')],
      [gear, gear.id('Down Sleeping Bag -10°C')],
    ];
    for (const [catalog, viewed] of cases) {
      // Act
      const recs = await recommend(catalog, [{ kind: 'view', itemId: viewed, at: NOW - 1 }], 20);
      // Assert
      for (const r of recs.filter((x) => x.reason.kind === 'similar')) {
        expect(cosine(catalog, r.itemId, viewed)).toBeGreaterThanOrEqual(SIMILAR_REASON_MIN);
      }
    }
    const vindication = books.id('A Vindication of the Rights of Woman');
    const afterHound = await recommend(books, [{ kind: 'view', itemId: hound, at: NOW - 1 }], 50);
    const named = afterHound.find((r) => r.itemId === vindication);
    expect(named?.explanation ?? '').not.toContain('The Hound of the Baskervilles');
  });

  it('says "liked" for an item the visitor liked, "viewed" for one only viewed', async () => {
    // Arrange
    const crampons = gear.id('Steel Crampons');
    const bag = gear.id('Down Sleeping Bag -10°C');
    const events: EngineEvent[] = [
      { kind: 'view', itemId: crampons, at: NOW - 3000 },
      { kind: 'like', itemId: crampons, at: NOW - 2000 },
      { kind: 'view', itemId: bag, at: NOW - 1000 },
    ];
    // Act
    const recs = await recommend(gear, events, 18);
    // Assert
    const texts = recs.map((r) => r.explanation);
    expect(texts).toContain('Because you liked Steel Crampons');
    expect(texts).toContain('Because you viewed Down Sleeping Bag -10°C');
    expect(texts).not.toContain('Because you viewed Steel Crampons');
  });
});

describe('a first visit is varied', () => {
  it('shows all five gear categories in 8 cards, at most two from one, each saying why', async () => {
    // Act
    const recs = await recommend(gear, [], 8);
    // Assert
    const counts = new Map<string, number>();
    for (const r of recs)
      counts.set(category(r.itemId)!, (counts.get(category(r.itemId)!) ?? 0) + 1);
    expect(recs).toHaveLength(8);
    expect([...counts.keys()].sort()).toEqual([...GEAR_CATEGORIES].sort());
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    for (const r of recs) expect(r.explanation).toBe(`A place to start in ${category(r.itemId)}`);
  });

  it('keeps every category in the list even when the exploration slot would fire', async () => {
    // Act: exploration probability 1 swaps a slot on every list but a first visit's.
    const recs = await recommend(gear, [], 8, 1);
    // Assert
    expect(new Set(recs.map((r) => category(r.itemId))).size).toBe(GEAR_CATEGORIES.length);
    expect(recs.every((r) => r.reason.kind === 'starter')).toBe(true);
  });

  it('shows 8 different categories of the demo bookshop in its first 8 cards', async () => {
    // Arrange
    const categories = new Map(
      (
        JSON.parse(readFileSync('public/demo-catalog.json', 'utf8')) as {
          id: string;
          category: string;
        }[]
      ).map((b) => [b.id, b.category]),
    );
    // Act
    const recs = await recommend(books, [], 8);
    // Assert
    expect(new Set(recs.map((r) => categories.get(r.itemId))).size).toBe(8);
    expect(recs.every((r) => r.reason.kind === 'starter')).toBe(true);
  });
});
