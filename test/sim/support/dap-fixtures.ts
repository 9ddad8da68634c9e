/** Fixtures of the DAP simulation's tests: a tiny data set and an in-memory leader and helper. */
import type { CollabModel } from '../../../src/engine/collab-model.ts';
import { FEATURE_NAMES } from '../../../src/engine/features.ts';
import { linearRanker, type Ranker } from '../../../src/engine/ranker.ts';
import type { MovieLensData } from '../../../src/eval/movielens.ts';
import type { Split } from '../../../src/eval/split.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../../../src/models/collab-train.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { createApp } from '../../../src/server/app.ts';
import { openServerStorage } from '../../../src/server/storage.ts';
import { seededRng } from '../../../src/shared/rng.ts';
import type { DapSimDeployment } from '../../../src/sim/sim-dap.ts';
import { decodeRankerSum } from '../../../src/wire/dap-measurement.ts';
import { modelUploadBody } from '../../../src/wire/model-upload.ts';
import { HELPER, LEADER, SERVER } from '../../federated/support/dap-tasks.ts';
import { createFakeDap } from '../../federated/support/fake-dap.ts';

/**
 * `users` users × `perUser` distinct items of `items`, drawn with a popularity skew (item
 * ⌊items · u^skew⌋ for uniform u, seeded): the most popular items are what users take next.
 */
export function skewedData(shape: {
  readonly users: number;
  readonly perUser: number;
  readonly items: number;
  readonly skew: number;
  readonly seed: number;
}): MovieLensData {
  const rng = seededRng(shape.seed);
  const interactions = [];
  for (let u = 0; u < shape.users; u++) {
    const seen = new Set<number>();
    for (let t = 0; seen.size < shape.perUser; t++) {
      const item = Math.floor(shape.items * rng() ** shape.skew);
      if (seen.has(item)) continue;
      seen.add(item);
      interactions.push({ user: `u${u}`, item: `m${item}`, rating: 4, timestamp: t });
    }
  }
  return { interactions, movies: new Map() };
}

/** 30 users × 6 interactions over 12 items, with a popularity skew (seeded). */
export function tinyData(): MovieLensData {
  return skewedData({ users: 30, perUser: 6, items: 12, skew: 2, seed: 5 });
}

/** The central collab model of a tiny split (2 epochs, seeded). */
export function tinyCentralCollab(split: Split): CollabModel {
  return trainCollab(
    split.itemIds,
    split.train,
    { ...DEFAULT_COLLAB_TRAIN_OPTIONS, epochs: 2 },
    seededRng(1),
  );
}

const TOKEN = 't'.repeat(32);

/**
 * The fake leader/helper (no noise) with the real thin server for the ranker model; collecting a
 * histogram publishes its exact sum, a ranker task one FedAvg step (server learning rate 1).
 */
export async function fakeDeployment(): Promise<DapSimDeployment & { opened: DapTask[] }> {
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: TOKEN });
  const tasks: DapTask[] = [];
  const opened: DapTask[] = [];
  const dap = await createFakeDap({
    server: SERVER,
    leader: LEADER,
    helper: HELPER,
    tasks,
    fallback: async (url, init) => app.request(new URL(url).pathname + new URL(url).search, init),
  });
  const publishRanker = async (features: readonly string[], params: Float32Array) => {
    await app.request('/v1/admin/model', {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        modelUploadBody('ranker', params, { kind: 'ranker', features: [...features] }),
      ),
    });
    return storage.latestVersion('ranker') ?? 0;
  };
  const ranker = async () => {
    const model = storage.latestModel('ranker');
    return { version: model?.version ?? 0, params: Float32Array.from(model?.params ?? []) };
  };
  let popularity: readonly number[] = [];
  let items: readonly string[] = [];
  const released = new Map<string, number[]>();
  return {
    opened,
    fetch: dap.fetch,
    server: SERVER,
    leader: LEADER,
    helper: HELPER,
    transport: 'in-process',
    now: () => 1_000_000,
    async openTask(task) {
      tasks.push(task);
      opened.push(task);
    },
    async collect(task) {
      tasks.splice(tasks.indexOf(task), 1);
      const { sum, count, rejected } = await dap.aggregate(task);
      released.set(task.id, [...sum]);
      const m = task.measurement;
      if (m.kind === 'item-histogram') {
        popularity = sum;
        items = m.items;
      } else if (m.kind === 'ranker-update') {
        const { mean } = decodeRankerSum(m, sum);
        const current = await ranker();
        await publishRanker(
          m.features,
          Float32Array.from(current.params, (p, i) => p + (mean[i] ?? 0)),
        );
      }
      return { reports: count, rejected };
    },
    async released(task) {
      return released.get(task.id) ?? [];
    },
    async popularity(ids) {
      const at = new Map(items.map((id, i) => [id, i]));
      return Float32Array.from(ids, (id) => popularity[at.get(id) ?? -1] ?? 0);
    },
    publishRanker,
    ranker,
    close: async () => storage.close(),
  };
}

/** A shipped ranker for the tests: the prompt's fixed weight, popularity and the item-item score. */
export function testShippedRanker(): Ranker {
  const weights = FEATURE_NAMES.map((name) =>
    name === 'sim_prompt' ? 8 : name === 'popularity' ? 1 : name === 'item_item' ? 1 : 0,
  );
  return linearRanker('test-shipped', weights, 0);
}
