/**
 * `recommend.p95_ms_10k` / `recommend.p95_ms_100k`: warm recommend() latency on synthetic catalogs
 * (Node): 100-d vectors, a 32-d collab model and a sequence model over 90% of the items, 10% cold.
 */

import { createEngineContext } from '../src/engine/context.ts';
import { encodePrompt } from '../src/engine/prompt.ts';
import { linearRanker } from '../src/engine/ranker.ts';
import { recommendFor } from '../src/engine/recommend.ts';
import type { SequenceModel } from '../src/engine/sequence-model.ts';
import type { EngineEvent, EngineItem } from '../src/engine/types.ts';
import { buildUserState, DEFAULT_USER_STATE_CONFIG } from '../src/engine/user-state.ts';
import { createCollabModel } from '../src/models/collab-gradient.ts';
import { gaussian, type Rng, seededRng } from '../src/shared/rng.ts';
import { createFakeEncoder } from '../support/fake-encoder.ts';
import type { BenchSuite } from './types.ts';

const DIMS = 100;

/** A sequence model with `degree` random neighbours per item, built straight into CSR arrays. */
function syntheticSequenceModel(itemIds: string[], degree: number, rng: Rng): SequenceModel {
  const n = itemIds.length;
  const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i * degree);
  const neighbours = Uint32Array.from({ length: n * degree }, () => Math.floor(rng() * n));
  const weights = Float32Array.from({ length: n * degree }, () => rng());
  return { version: 'bench', itemIds, offsets, neighbours, weights };
}

async function p95(n: number, log: (m: string) => void): Promise<number> {
  const rng = seededRng(n);
  const items: EngineItem[] = Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    title: `item ${i}`,
    categories: [`c${i % 20}`],
    text: `item ${i} c${i % 20}`,
    createdAt: i * 1000,
  }));
  const vectors = new Float32Array(n * DIMS);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < DIMS; k++) {
      const v = gaussian(rng);
      vectors[i * DIMS + k] = v;
      norm += v * v;
    }
    for (let k = 0; k < DIMS; k++) vectors[i * DIMS + k]! /= Math.sqrt(norm);
  }
  // The last 10% of the items are cold: in no model and without popularity.
  const warm = items.slice(0, Math.floor(n * 0.9)).map((i) => i.id);
  const collab = createCollabModel(warm, 32, rng);
  const sequence = syntheticSequenceModel(warm, 100, rng);
  const popularity = new Map(warm.map((id, i) => [id, 1 + ((i * 7919) % 1000)]));
  const context = createEngineContext({
    items,
    vectors,
    dims: DIMS,
    collab,
    sequence,
    popularity,
  });
  const ranker = linearRanker('bench', [1, 1, 1, 0.5, 1, 0.2, 0.3, 0, -1, 8, 3], 0);
  const encoder = createFakeEncoder(DIMS);
  const now = n * 1000;
  const events: EngineEvent[] = Array.from({ length: 200 }, (_, i) => ({
    kind: i % 10 === 0 ? 'like' : 'view',
    itemId: `i${Math.floor(rng() * n)}`,
    at: now - (200 - i) * 60_000,
  }));
  const times: number[] = [];
  for (let run = 0; run < 60; run++) {
    const start = performance.now();
    const state = buildUserState(context, events, DEFAULT_USER_STATE_CONFIG, now);
    const prompt = run % 2 === 0 ? await encodePrompt(encoder, 'item c3, nothing c4') : null;
    await recommendFor(context, state, ranker, { limit: 10, now, prompt, rng: seededRng(run) });
    if (run >= 10) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const value = times[Math.ceil(0.95 * times.length) - 1]!;
  log(`engine: ${n} items p95 ${value.toFixed(1)} ms (50 warm runs, 200 events, prompt on half)`);
  return Number(value.toFixed(2));
}

const suite: BenchSuite = {
  name: 'engine',
  async run({ log }) {
    return {
      'recommend.p95_ms_10k': await p95(10_000, log),
      'recommend.p95_ms_100k': await p95(100_000, log),
    };
  },
};

export default suite;
