/**
 * The privately trained engine of `hearth eval --private-models` on a tiny MovieLens-like set:
 * simulated releases, the collector's build, the served model through its wire form, and an
 * engine with nothing else shared; the pair task only where enough visitors report.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import type { Interaction, Movie, MovieLensData } from '../../src/eval/movielens.ts';
import { fitPrivateRanker, privateEngineContext } from '../../src/eval/private-method.ts';
import { leaveLastOut, validationSplit } from '../../src/eval/split.ts';
import { seededRng } from '../../src/shared/rng.ts';

const MOVIES = 30;

/** 60 users; every one takes m0 then m1 (a strong pair), then items of one era. */
function tinyData(): MovieLensData {
  const rng = seededRng(2);
  const movies = new Map<string, Movie>(
    Array.from({ length: MOVIES }, (_, i) => [
      `m${i}`,
      {
        title: `Movie ${i} (${1990 + i})`,
        genres: [i % 2 ? 'Drama' : 'Comedy'],
        tags: [],
        year: 1990 + i,
      },
    ]),
  );
  const interactions: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    const start = Math.floor(rng() * (MOVIES - 8)) + 2;
    const items = ['m0', 'm1', ...Array.from({ length: 6 }, (_, k) => `m${start + k}`)];
    items.forEach((item, t) => {
      interactions.push({ user: `u${u}`, item, rating: 4, timestamp: 1_000 * u + t });
    });
  }
  return { interactions, movies };
}

function engineFor(itemIds: readonly string[]) {
  const dims = 4;
  const rng = seededRng(3);
  const vectors = Float32Array.from({ length: itemIds.length * dims }, () => rng() - 0.5);
  const items = itemIds.map((id) => ({ id, title: id, categories: [], text: id }));
  return { items, vectors, dims };
}

describe('privateEngineContext', () => {
  const data = tinyData();
  const split = leaveLastOut(data.interactions);
  const engine = engineFor(split.itemIds);
  /** The private engine of `on` (default: the split) at ε for `population` visitors (0: its own). */
  const build = (epsilon: number, population: number, seed: number, on = split) =>
    privateEngineContext(data, on, engine, { epsilon, population }, seed, 1e-6);

  it('with the split\u2019s own visitors, builds the year kernel alone and serves it', () => {
    // Act
    const { context, summary } = build(8, 0, 1);
    // Assert
    expect(summary.population).toBe(60);
    expect(summary.plan.usePairs).toBe(false);
    expect(summary.sigma.pairs).toBeNull();
    expect(summary).toMatchObject({ kernel: 'attribute:year', pairs: 0, cells: 0 });
    expect(summary.servedBytes).toBeGreaterThan(0);
    expect(context.cooccurrence?.itemIds).toEqual(split.itemIds);
    expect(context.collab).toBeNull();
    expect(context.sequence).toBeNull();
  });

  it('with 10,000 visitors at ε = 8, adds the pair task and serves the pair every visitor took', () => {
    // Act
    const { context, summary } = build(8, 10_000, 1);
    // Assert
    expect(summary.plan.usePairs).toBe(true);
    const n = split.itemIds.length;
    expect(summary.cells).toBe((n * (n - 1)) / 2); // the whole head fits in 20,000 cells
    expect(summary.pairs).toBeGreaterThan(0);
    const model = context.cooccurrence!;
    const row = (id: string) => model.itemIds.indexOf(id);
    const neighbours = model.pairNeighbours.subarray(
      model.pairOffsets[row('m0')]!,
      model.pairOffsets[row('m0') + 1]!,
    );
    expect(Array.from(neighbours)).toContain(row('m1'));
  });

  it('is reproducible from its seed', () => {
    const a = build(2, 0, 4);
    const b = build(2, 0, 4);
    expect(Array.from(a.context.popularity)).toEqual(Array.from(b.context.popularity));
    expect(a.summary).toEqual(b.summary);
  });

  it('fits a ranker on the validation split with the private models', () => {
    const validation = validationSplit(split);
    const { context } = build(8, 0, 2, validation);
    const ranker = fitPrivateRanker(validation, context, DEFAULT_USER_STATE_CONFIG);
    expect(ranker.version).toBe('fitted-on-validation (private models)');
    expect(Array.from(ranker.weights).every(Number.isFinite)).toBe(true);
  });
});
