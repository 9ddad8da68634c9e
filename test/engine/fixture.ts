import { readFileSync } from 'node:fs';
import { createEngineContext, type EngineContext } from '../../src/engine/context.ts';
import { linearRanker, type Ranker } from '../../src/engine/ranker.ts';
import { DEFAULT_RECOMMEND_CONFIG, type RecommendConfig } from '../../src/engine/recommend.ts';
import type { EngineItem } from '../../src/engine/types.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';

/** A tiny catalog of books with hashed bag-of-words vectors. */
export const BOOK_TEXTS: Record<string, [string, string[]]> = {
  b1: ['cozy village mystery', ['mystery', 'cozy']],
  b2: ['cozy tea shop mystery', ['mystery', 'cozy']],
  b3: ['dark gritty murder mystery', ['mystery', 'dark']],
  b4: ['dark violent crime mystery', ['mystery', 'dark']],
  b5: ['space opera adventure', ['scifi']],
  b6: ['robot space war', ['scifi']],
  b7: ['gardening for beginners', ['home']],
  b8: ['baking bread at home', ['home']],
};

/** Builds the fixture context (popularity favours b7, b8). */
export async function bookContext(): Promise<{
  context: EngineContext;
  items: EngineItem[];
  vectors: Float32Array;
}> {
  const encoder = createFakeEncoder(64);
  const items: EngineItem[] = Object.entries(BOOK_TEXTS).map(([id, [title, categories]]) => ({
    id,
    title,
    categories,
    text: `${title} ${categories.join(' ')}`,
  }));
  const embedded = await encoder.embed(items.map((i) => i.text));
  const vectors = new Float32Array(items.length * 64);
  embedded.forEach((v, i) => {
    vectors.set(v, i * 64);
  });
  const popularity = new Map([
    ['b7', 50],
    ['b8', 40],
    ['b5', 5],
  ]);
  return { context: createEngineContext({ items, vectors, dims: 64, popularity }), items, vectors };
}

/** The shipped linear ranker (models/ranker/manifest.json), as the worker starts with it. */
export function shippedRanker(): Ranker {
  const shipped = JSON.parse(readFileSync('models/ranker/manifest.json', 'utf8')) as {
    weights: number[];
    bias: number;
  };
  return linearRanker('shipped', shipped.weights, shipped.bias);
}

/** The default recommend configuration without the exploration slot (deterministic lists). */
export const NO_EXPLORATION: RecommendConfig = {
  ...DEFAULT_RECOMMEND_CONFIG,
  post: { ...DEFAULT_RECOMMEND_CONFIG.post, exploration: 0 },
};
