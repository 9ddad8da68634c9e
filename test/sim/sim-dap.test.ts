import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/index.ts';
import type { Encoder } from '../../src/encoder/types.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import { leaveLastOut, validationSplit } from '../../src/eval/split.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { DEFAULT_BUDGET_SHARES } from '../../src/sim/dap-budget.ts';
import type { DapTransportRequest } from '../../src/sim/dap-transport.ts';
import {
  type DapSimDeployment,
  type DapSimOptions,
  drawVisitors,
  runDapSimulation,
} from '../../src/sim/sim-dap.ts';
import { startDapDeployment } from '../../src/sim/sim-dap-deployment.ts';
import { evaluatePopularity } from '../../src/sim/sim-eval.ts';
import { runSimulation } from '../../src/sim/simulation.ts';
import {
  fakeDeployment,
  testShippedRanker,
  tinyCentralCollab,
  tinyData,
} from './support/dap-fixtures.ts';

/** Options of a popularity-only run through the aggregators (the tests override some). */
function options(overrides: Partial<DapSimOptions> = {}): DapSimOptions {
  return {
    epsilon: 4,
    maxItems: 3,
    shares: DEFAULT_BUDGET_SHARES,
    transport: 'aggregators',
    evaluationK: 10,
    threads: 0,
    seed: 1,
    log: () => undefined,
    ...overrides,
  };
}

/** `hearth simulate --mode dap` on the tiny data at ε = 4 without an encoder (popularity only). */
function simulateDap(
  transport: DapTransportRequest,
  start: () => Promise<DapSimDeployment>,
): ReturnType<typeof runSimulation> {
  return runSimulation(tinyData(), {
    epsilon: 4,
    clientsPerRound: 10,
    clipNorm: 0.2,
    telemetryEpsilon: 2,
    seed: 1,
    http: false,
    mode: 'dap',
    dap: {
      maxItems: 3,
      shares: DEFAULT_BUDGET_SHARES,
      transport,
      evaluationK: 10,
      threads: 0,
      start,
    },
    log: () => undefined,
  });
}

describe('simulation --mode dap (over an in-memory leader and helper)', () => {
  let encoder: Encoder;
  beforeAll(async () => {
    encoder = await createEncoder();
  });
  afterAll(async () => {
    await encoder.dispose();
  });

  it('sends one verified report per visitor whose sum is the true last-L histogram of the statistics histories, within ε per visitor', async () => {
    // Arrange: the statistics leave out each visitor's last training event.
    const data = tinyData();
    const split = leaveLastOut(data.interactions);
    const deployment = await fakeDeployment();
    const lastThree = new Float32Array(split.itemIds.length);
    for (const rows of validationSplit(split).train)
      for (const r of new Set([...rows].reverse().slice(0, 3)))
        lastThree[r] = (lastThree[r] ?? 0) + 1;
    // Act
    const dap = await runDapSimulation(
      data,
      split,
      options({ noiseDraws: 3 }),
      async () => deployment,
    );
    // Assert: without noise (the fake adds none) the estimate is the exact last-3 histogram.
    expect(dap).toMatchObject({ reportsSent: 30, reportsAggregated: 30, reports_rejected: 0 });
    expect(Number(dap.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
    expect(Number(dap.epsilon_per_visitor)).toBeGreaterThan(4 - 1e-9);
    expect(dap.popularity).toEqual(await evaluatePopularity(split, lastThree));
    expect(dap.noiselessPopularityNdcgRatio).toBe(dap.popularity_ndcg_ratio);
    expect(dap.noiseSpread).toMatchObject({ draws: 3 });
    expect(Number(dap.popularity_ndcg_ratio)).toBeGreaterThan(0);
    expect(deployment.opened.map((t) => t.name)).toEqual(['item popularity']);
    await deployment.close();
  }, 60_000);

  it('says the population is resampled and makes one report per drawn visitor', async () => {
    // Arrange
    const data = tinyData();
    const deployment = await fakeDeployment();
    // Act
    const dap = await runDapSimulation(
      data,
      leaveLastOut(data.interactions),
      options({ epsilon: 2, population: 45 }),
      async () => deployment,
    );
    // Assert
    expect(dap.populationNote).toMatch(/^resampled population: 45 visitors drawn with replacement/);
    expect(dap).toMatchObject({
      resampled: true,
      population: 45,
      reportsSent: 45,
      reportsAggregated: 45,
    });
    await deployment.close();
  }, 60_000);

  it("reports today's keys plus dap.popularity_ndcg_ratio, dap.reports_rejected and dap.epsilon_per_visitor", async () => {
    // Arrange
    const deployment = await fakeDeployment();
    let closed = false;
    // Act
    const report = await simulateDap('aggregators', async () => ({
      ...deployment,
      close: async () => {
        closed = true;
        await deployment.close();
      },
    }));
    // Assert
    expect(Object.keys(report).sort()).toEqual(['central', 'dap', 'federated', 'telemetry']);
    expect(report.dap).toMatchObject({ reports_rejected: 0, population: 30 });
    expect(typeof report.dap?.popularity_ndcg_ratio).toBe('number');
    expect(Number(report.dap?.epsilon_per_visitor)).toBeLessThanOrEqual(4 + 1e-9);
    expect(closed).toBe(true);
  }, 60_000);

  it('starts no aggregators when every task goes through the sum transport', async () => {
    // Arrange
    let started = false;
    // Act
    const report = await simulateDap('sum', async () => {
      started = true;
      return fakeDeployment();
    });
    // Assert
    expect(started).toBe(false);
    expect(report.dap?.transport).toMatchObject({
      requested: 'sum',
      aggregators: null,
      tasks: { 'item popularity': { transport: 'sum' } },
    });
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
          options({ threads: 1 }),
          async () => deployment,
        );
        // Assert
        expect(dap).toMatchObject({
          reportsSent: 30,
          reportsAggregated: 30,
          reports_rejected: 0,
          transport: { aggregators: http ? 'http-loopback' : 'in-process' },
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

  it('trains the ranker over DAP rounds on the served models and scores it against a central ranker on the same models', async () => {
    // Arrange
    const data = tinyData();
    const split = leaveLastOut(data.interactions);
    const central = tinyCentralCollab(split);
    const deployment = await fakeDeployment();
    // Act
    const dap = await runDapSimulation(
      data,
      split,
      options({
        threads: 1,
        // 30 visitors are far too few for the rounds' noise: run them anyway (as --dap-ranker-rounds).
        shares: { ...DEFAULT_BUDGET_SHARES, forceRankerRounds: true },
        engine: { encoder, centralCollab: central, shippedRanker: testShippedRanker() },
      }),
      async () => deployment,
    );
    // Assert: the pair counts (none at 30 visitors) and the evaluation go through the sum
    // transport (the client makes no such reports yet); the rest through the aggregators.
    const hearth = dap.hearth as Record<string, unknown>;
    expect(deployment.opened.map((t) => t.name)).toEqual([
      'item popularity',
      'ranker update 1/2',
      'ranker update 2/2',
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
