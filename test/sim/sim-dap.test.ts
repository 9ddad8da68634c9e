import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/index.ts';
import type { Encoder } from '../../src/encoder/types.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import type { MovieLensData } from '../../src/eval/movielens.ts';
import { leaveLastOut } from '../../src/eval/split.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../../src/models/collab-train.ts';
import type { DapTask } from '../../src/protocol/dap.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { type DapSimDeployment, drawVisitors, runDapSimulation } from '../../src/sim/sim-dap.ts';
import { startDapDeployment } from '../../src/sim/sim-dap-deployment.ts';
import { evaluatePopularity } from '../../src/sim/sim-eval.ts';
import { runSimulation } from '../../src/sim/simulation.ts';
import { decodeRankerSum } from '../../src/wire/dap-measurement.ts';
import { modelUploadBody } from '../../src/wire/model-upload.ts';
import { HELPER, LEADER, SERVER } from '../federated/support/dap-tasks.ts';
import { createFakeDap } from '../federated/support/fake-dap.ts';

/** 30 users × 6 interactions over 12 items, with a popularity skew (seeded). */
function tinyData(): MovieLensData {
  const rng = seededRng(5);
  const interactions = [];
  for (let u = 0; u < 30; u++) {
    const seen = new Set<number>();
    for (let t = 0; seen.size < 6; t++) {
      const item = Math.floor(12 * rng() ** 2);
      if (seen.has(item)) continue;
      seen.add(item);
      interactions.push({ user: `u${u}`, item: `m${item}`, rating: 4, timestamp: t });
    }
  }
  return { interactions, movies: new Map() };
}

const TOKEN = 't'.repeat(32);

/**
 * The fake leader/helper (no noise) with the real thin server for the ranker model; collecting a
 * histogram publishes its exact sum, a ranker task one FedAvg step (server learning rate 1).
 */
async function fakeDeployment(): Promise<DapSimDeployment & { opened: DapTask[] }> {
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
    async popularity(ids) {
      const at = new Map(items.map((id, i) => [id, i]));
      return Float32Array.from(ids, (id) => popularity[at.get(id) ?? -1] ?? 0);
    },
    publishRanker,
    ranker,
    close: async () => storage.close(),
  };
}

describe('simulation --mode dap (over an in-memory leader and helper)', () => {
  let encoder: Encoder;
  beforeAll(async () => {
    encoder = await createEncoder();
  });
  afterAll(async () => {
    await encoder.dispose();
  });

  it('sends one verified report per visitor whose sum is the true last-L histogram, within ε per visitor', async () => {
    // Arrange
    const data = tinyData();
    const split = leaveLastOut(data.interactions);
    const deployment = await fakeDeployment();
    const lastThree = new Float32Array(split.itemIds.length);
    for (const rows of split.train)
      for (const r of new Set([...rows].reverse().slice(0, 3)))
        lastThree[r] = (lastThree[r] ?? 0) + 1;
    // Act
    const dap = await runDapSimulation(
      data,
      split,
      {
        epsilon: 4,
        popularityShare: 1,
        maxItems: 3,
        rankerRounds: 1,
        threads: 0,
        seed: 1,
        noiseDraws: 3,
        log: () => undefined,
      },
      deployment,
    );
    // Assert: without noise (the fake adds none) the estimate is the exact last-3 histogram.
    expect(dap).toMatchObject({ reportsSent: 30, reportsAggregated: 30, reports_rejected: 0 });
    expect(Number(dap.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
    expect(Number(dap.epsilon_per_visitor)).toBeGreaterThan(3.99);
    expect(dap.popularity).toEqual(await evaluatePopularity(split, lastThree));
    expect(dap.noiselessPopularityNdcgRatio).toBe(dap.popularity_ndcg_ratio);
    expect(dap.noiseSpread).toMatchObject({ draws: 3 });
    expect(Number(dap.popularity_ndcg_ratio)).toBeGreaterThan(0);
    expect(deployment.opened.map((t) => t.name)).toEqual(['item popularity']);
    await deployment.close();
  }, 60_000);

  it('says the population is resampled and makes one report per drawn visitor', async () => {
    const data = tinyData();
    const deployment = await fakeDeployment();
    const dap = await runDapSimulation(
      data,
      leaveLastOut(data.interactions),
      {
        epsilon: 2,
        popularityShare: 1,
        maxItems: 3,
        rankerRounds: 1,
        threads: 0,
        seed: 1,
        population: 45,
        log: () => undefined,
      },
      deployment,
    );
    expect(dap.populationNote).toMatch(/^resampled population: 45 visitors drawn with replacement/);
    expect(dap).toMatchObject({ population: 45, reportsSent: 45, reportsAggregated: 45 });
    await deployment.close();
  }, 60_000);

  it("reports today's keys plus dap.popularity_ndcg_ratio, dap.reports_rejected and dap.epsilon_per_visitor", async () => {
    // Arrange
    const deployment = await fakeDeployment();
    let closed = false;
    // Act
    const report = await runSimulation(tinyData(), {
      epsilon: 4,
      clientsPerRound: 10,
      clipNorm: 0.2,
      telemetryEpsilon: 2,
      seed: 1,
      http: false,
      mode: 'dap',
      dap: {
        popularityShare: 0.9,
        maxItems: 3,
        rankerRounds: 1,
        threads: 0,
        start: async () => ({
          ...deployment,
          close: async () => {
            closed = true;
            await deployment.close();
          },
        }),
      },
      log: () => undefined,
    });
    // Assert
    expect(Object.keys(report).sort()).toEqual(['central', 'dap', 'federated', 'telemetry']);
    expect(report.dap).toMatchObject({ reports_rejected: 0, population: 30 });
    expect(typeof report.dap?.popularity_ndcg_ratio).toBe('number');
    expect(Number(report.dap?.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
    expect(closed).toBe(true);
  }, 60_000);

  it.each([false, true])(
    'runs the real client against both real aggregators (http over loopback: %s): every report verified, none rejected',
    async (http) => {
      // Arrange
      const data = tinyData();
      const deployment = await startDapDeployment({ http, prepThreads: false });
      try {
        // Act
        const dap = await runDapSimulation(
          data,
          leaveLastOut(data.interactions),
          {
            epsilon: 4,
            popularityShare: 1,
            maxItems: 3,
            rankerRounds: 1,
            threads: 1,
            seed: 1,
            log: () => undefined,
          },
          deployment,
        );
        // Assert
        expect(dap).toMatchObject({
          reportsSent: 30,
          reportsAggregated: 30,
          reports_rejected: 0,
          transport: http ? 'http-loopback' : 'in-process',
        });
        expect(Number(dap.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
        expect(Number.isFinite(Number(dap.popularity_ndcg_ratio))).toBe(true);
      } finally {
        await deployment.close();
      }
    },
    120_000,
  );

  it('draws a bootstrap population from the users with a training item, seeded', () => {
    const split = leaveLastOut(tinyData().interactions);
    const a = drawVisitors(split, 100, seededRng(1));
    expect(a).toEqual(drawVisitors(split, 100, seededRng(1)));
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBeLessThan(31);
    expect(drawVisitors(split, undefined, seededRng(1))).toHaveLength(30);
  });

  it('trains the ranker over DAP rounds within the same budget and scores it against a central ranker on the same models', async () => {
    // Arrange
    const data = tinyData();
    const split = leaveLastOut(data.interactions);
    const central = trainCollab(
      split.itemIds,
      split.train,
      { ...DEFAULT_COLLAB_TRAIN_OPTIONS, epochs: 2 },
      seededRng(1),
    );
    const deployment = await fakeDeployment();
    // Act
    const dap = await runDapSimulation(
      data,
      split,
      {
        epsilon: 4,
        popularityShare: 0.9,
        maxItems: 3,
        rankerRounds: 2,
        threads: 1,
        seed: 1,
        encoder,
        centralCollab: central,
        log: () => undefined,
      },
      deployment,
    );
    // Assert
    const hearth = dap.hearth as Record<string, unknown>;
    expect(deployment.opened.map((t) => t.name)).toEqual([
      'item popularity',
      'ranker update 1',
      'ranker update 2',
    ]);
    expect(hearth.rounds).toBe(2);
    expect(Number(hearth.reports)).toBeGreaterThan(0);
    expect(hearth.modelVersion).toBe(2);
    expect((hearth.weights as number[])[FEATURE_NAMES.indexOf('sim_prompt')]).toBe(8);
    expect(typeof hearth.ndcgRatioToCentralRanker).toBe('number');
    expect(Number(dap.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
    await deployment.close();
  }, 120_000);
});
