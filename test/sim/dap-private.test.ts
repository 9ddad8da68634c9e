import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/index.ts';
import type { Encoder } from '../../src/encoder/types.ts';
import { createEngineContext, type EngineContext } from '../../src/engine/context.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/engine/features.ts';
import { linearRanker, type RankerGroup } from '../../src/engine/ranker.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import { exactSum, populationOfVisitors } from '../../src/eval/private-release.ts';
import { leaveLastOut, validationSplit } from '../../src/eval/split.ts';
import { learnableFeatures } from '../../src/federated/ranker-update.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import type { DapMeasurement } from '../../src/protocol/dap.ts';
import { seededRng } from '../../src/shared/rng.ts';
import {
  DEFAULT_BUDGET_SHARES,
  NEGLIGIBLE_NOISE_RHO,
  planEngineBudget,
} from '../../src/sim/dap-budget.ts';
import { runRankerRounds } from '../../src/sim/dap-ranker-rounds.ts';
import { createReporting } from '../../src/sim/dap-reporting.ts';
import { chooseTransport } from '../../src/sim/dap-transport.ts';
import { runDapSimulation } from '../../src/sim/sim-dap.ts';
import { startDapDeployment } from '../../src/sim/sim-dap-deployment.ts';
import type { ReportSection } from '../../src/sim/sim-eval.ts';
import { federatedEvaluation } from '../../src/sim/sim-private.ts';
import {
  skewedData,
  testShippedRanker,
  tinyCentralCollab,
  tinyData,
} from './support/dap-fixtures.ts';

const DELTA = 1e-6;

describe('budget split of the DAP simulation', () => {
  it.each([
    [8, 610],
    [2, 610],
    [2, 10_000],
    [1, 10_000],
  ])(
    'at ε = %d with %d visitors the tasks cost exactly the ledger cap',
    async (epsilon, reports) => {
      // Arrange
      const plan = planEngineBudget(epsilon, DELTA, reports, DEFAULT_BUDGET_SHARES, true);
      const ledger = createLedger({
        storage: createMemoryLedgerStorage(),
        caps: { dailyEpsilon: epsilon, lifetimeEpsilon: epsilon, delta: DELTA },
      });
      const costs = [
        plan.histogramRho,
        plan.pairsRho,
        plan.evaluationRho,
        ...Array.from({ length: plan.rankerRounds }, () => plan.rankerRhoPerRound),
      ].filter((rho) => rho > 0);
      // Act
      for (const rho of costs)
        await ledger.record({
          at: 0,
          kind: 'dap-report',
          rho,
          epsilon: 0,
          delta: DELTA,
          bytes: 0,
          summary: 'task',
        });
      // Assert
      expect(Math.abs((await ledger.spent()).lifetime.epsilon - epsilon)).toBeLessThanOrEqual(1e-9);
      expect(plan.evaluationRho).toBeLessThanOrEqual(
        plan.rho * DEFAULT_BUDGET_SHARES.evaluationShare,
      );
      expect(plan.rankerRhoPerRound * plan.rankerRounds).toBeLessThanOrEqual(
        plan.rho * DEFAULT_BUDGET_SHARES.rankerShare * (1 + 1e-12),
      );
    },
  );

  it('sends the pair counts at 10,000 visitors and ε = 2, and not at 610', () => {
    // Act
    const small = planEngineBudget(2, DELTA, 610, DEFAULT_BUDGET_SHARES, true);
    const large = planEngineBudget(2, DELTA, 10_000, DEFAULT_BUDGET_SHARES, true);
    // Assert
    expect(small.usePairs).toBe(false);
    expect(large.usePairs).toBe(true);
    expect(large.pairsRho).toBeGreaterThan(large.histogramRho);
  });

  it('runs no ranker rounds where the released count would carry more than ±10% noise, and says why', () => {
    // Act
    const small = planEngineBudget(8, DELTA, 610, DEFAULT_BUDGET_SHARES, true);
    const forced = planEngineBudget(
      8,
      DELTA,
      610,
      { ...DEFAULT_BUDGET_SHARES, forceRankerRounds: true },
      true,
    );
    const large = planEngineBudget(2, DELTA, 10_000, DEFAULT_BUDGET_SHARES, true);
    // Assert
    expect(small).toMatchObject({ rankerRounds: 0, rankerRhoPerRound: 0 });
    expect(small.rankerSkipped).toMatch(/within ±10%.*not run, the shipped ranker serves/);
    expect(forced.rankerRounds).toBe(2);
    expect(forced.rankerCountNoise).toBeGreaterThan(0.1);
    expect(large).toMatchObject({ rankerRounds: 2, rankerSkipped: null });
    expect(large.rankerCountNoise).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('gives the histogram all of ρ without the engine', () => {
    const plan = planEngineBudget(4, DELTA, 610, DEFAULT_BUDGET_SHARES, false);
    expect(plan).toMatchObject({
      histogramRho: plan.rho,
      pairsRho: 0,
      evaluationRho: 0,
      rankerRounds: 0,
    });
  });
});

describe('transport choice', () => {
  const histogram = (items: number): DapMeasurement => ({
    kind: 'item-histogram',
    items: Array.from({ length: items }, (_, i) => `m${i}`),
    maxItems: 50,
  });

  it('sends a cheap task through the aggregators and an expensive one through the sum, saying why', () => {
    // Act
    const cheap = chooseTransport('auto', histogram(10_000), 610);
    const costly = chooseTransport('auto', histogram(10_000), 10_000);
    // Assert
    expect(cheap).toMatchObject({
      transport: 'aggregators',
      reports: 610,
      entries: 10_000,
      bits: 1,
    });
    expect(cheap.reason).toMatch(/estimated CPU through the aggregators 6\.\d min .* ≤ 10\.0 min/);
    expect(costly.transport).toBe('sum');
    expect(costly.reason).toMatch(/> 10\.0 min$/);
  });

  it('sends a task kind the DAP client does not measure yet through the sum, even when asked for the aggregators', () => {
    const evaluation: DapMeasurement = {
      kind: 'model-evaluation',
      model: 'm',
      candidate: 1,
      served: 0,
      k: 10,
    };
    const chosen = chooseTransport('aggregators', evaluation, 10);
    expect(chosen.transport).toBe('sum');
    expect(chosen.reason).toMatch(/the DAP client makes no 'model-evaluation' reports yet/);
  });
});

/** `count` ranking groups of 6 candidates with seeded features, the positive first. */
function syntheticGroups(users: number, seed: number): Map<number, RankerGroup[]> {
  const rng = seededRng(seed);
  const groups = new Map<number, RankerGroup[]>();
  for (let u = 0; u < users; u++) {
    const count = 6;
    const features = Float32Array.from({ length: count * FEATURE_COUNT }, () => rng());
    groups.set(u, [{ features, count, positive: 0 }]);
  }
  return groups;
}

describe('the two transports', () => {
  it('give the same exact sums (histogram and ranker round) at negligible noise', async () => {
    // Arrange: the same visitors and seeds, once through both real aggregators, once summed.
    const data = tinyData();
    const split = leaveLastOut(data.interactions);
    const visitors = split.users.map((_, u) => u);
    const histories = validationSplit(split).train.map((rows) =>
      rows.map((r) => split.itemIds[r]!),
    );
    const histogram = { kind: 'item-histogram' as const, items: [...split.itemIds], maxItems: 3 };
    const deployment = await startDapDeployment({ http: false, prepThreads: false });
    const reportingOf = (via: 'aggregators' | 'sum') =>
      createReporting({
        visitors,
        epsilon: Number.POSITIVE_INFINITY,
        delta: DELTA,
        seed: 1,
        threads: 0,
        aggregators: async () => {
          if (via === 'sum') throw new Error('the sum transport must not start the aggregators');
          return deployment;
        },
        log: () => undefined,
      });
    const groups = syntheticGroups(visitors.length, 3);
    const features = learnableFeatures();
    const start = new Float32Array(features.length).fill(0.5);
    const exact = exactSum(histogram, populationOfVisitors(histories, visitors), 0);
    try {
      // Act
      const runs = [];
      for (const via of ['aggregators', 'sum'] as const) {
        const reporting = reportingOf(via);
        const transport = chooseTransport(via, histogram, visitors.length);
        const pop = await reporting.release(
          'item popularity',
          histogram,
          NEGLIGIBLE_NOISE_RHO,
          transport,
          seededRng(9),
          {
            local: (user) => ({ positiveItems: histories[user] ?? [], rankerGroups: [] }),
            exact: () => exact,
          },
        );
        const ranker = await runRankerRounds({
          reporting,
          visitors,
          groups,
          features,
          start,
          rounds: 1,
          rhoPerRound: NEGLIGIBLE_NOISE_RHO,
          transport: chooseTransport(
            via,
            {
              kind: 'ranker-update',
              modelVersion: 0,
              features,
              clip: 0.5,
              scale: 64,
              localSteps: 5,
              learningRate: 1,
            },
            visitors.length,
          ),
          rng: seededRng(10),
        });
        await reporting.close();
        runs.push({ pop, ranker });
      }
      // Assert
      const [real, summed] = runs;
      expect(real?.pop.transport.transport).toBe('aggregators');
      expect(summed?.pop.transport.transport).toBe('sum');
      expect(Array.from(real!.pop.release.sum)).toEqual(Array.from(exact));
      expect(Array.from(summed!.pop.release.sum)).toEqual(Array.from(exact));
      const realRanker = Array.from(real!.ranker.releases[0]!.release.sum);
      expect(realRanker.some((v) => v !== 0)).toBe(true);
      expect(Array.from(summed!.ranker.releases[0]!.release.sum)).toEqual(realRanker);
      expect(Array.from(summed!.ranker.params)).toEqual(Array.from(real!.ranker.params));
    } finally {
      await deployment.close();
    }
  }, 120_000);
});

describe('federated evaluation gate', () => {
  // Popular items are what each user takes next: a popularity prior ranks held-out items high.
  const data = skewedData({ users: 150, perUser: 12, items: 40, skew: 3, seed: 11 });
  const split = leaveLastOut(data.interactions);
  const heldOut = validationSplit(split);
  const rng = seededRng(2);
  const dims = 8;
  const items = split.itemIds.map((id) => ({ id, title: id, categories: [], text: id }));
  const vectors = Float32Array.from({ length: items.length * dims }, () => rng() - 0.5);
  const counts = new Map<string, number>();
  for (const rows of heldOut.train)
    for (const r of rows) counts.set(split.itemIds[r]!, (counts.get(split.itemIds[r]!) ?? 0) + 1);
  const max = Math.max(...counts.values());
  const context = (popularity?: Map<string, number>): EngineContext =>
    createEngineContext({
      items,
      vectors,
      dims,
      collab: null,
      sequence: null,
      ...(popularity ? { popularity } : {}),
    });
  const popular = context(counts);
  const unpopular = context(new Map([...counts].map(([id, c]) => [id, max + 1 - c])));
  const floor = context();
  const ranker = linearRanker(
    'popularity-first',
    FEATURE_NAMES.map((name) => (name === 'sim_prompt' ? 8 : name === 'popularity' ? 5 : 0)),
    0,
  );
  const visitors = split.users.map((_, u) => u);
  const evaluate = (candidate: EngineContext, served: EngineContext) =>
    federatedEvaluation({
      reporting: createReporting({
        visitors,
        epsilon: Number.POSITIVE_INFINITY,
        delta: DELTA,
        seed: 4,
        threads: 0,
        aggregators: () => Promise.reject(new Error('no aggregators in this test')),
        log: () => undefined,
      }),
      visitors,
      heldOut,
      candidate: { context: candidate, ranker },
      served: { context: served, ranker },
      model: 'cooccurrence',
      k: 10,
      // σ ≈ 0.7 per aggregator: the counts carry noise the decision must see through.
      rho: 1,
      choose: (m, n) => chooseTransport('sum', m, n),
      rng: seededRng(5),
      userState: DEFAULT_USER_STATE_CONFIG,
    });

  it('promotes a candidate clearly better than the served engine', async () => {
    // Act
    const { decision, exact } = await evaluate(popular, floor);
    // Assert
    expect(exact.candidate).toBeGreaterThan(exact.served + 10);
    expect(decision.promote).toBe(true);
    expect(decision.reason).toMatch(/^promote:/);
  }, 60_000);

  it('refuses a candidate worse than the served engine', async () => {
    // Act: the candidate ranks the least popular items first.
    const { decision, exact } = await evaluate(unpopular, popular);
    // Assert
    expect(exact.served).toBeGreaterThan(exact.candidate);
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/^keep the served model:/);
  }, 60_000);
});

describe('the private engine in the DAP simulation (sum transport)', () => {
  let encoder: Encoder;
  let dap: ReportSection;
  beforeAll(async () => {
    encoder = await createEncoder();
    // Plus 5 visitors with one event: no held-out event and no ranking example, so they send the
    // empty evaluation and ranker reports.
    const tiny = tinyData();
    const data = {
      ...tiny,
      interactions: [
        ...tiny.interactions,
        ...Array.from({ length: 5 }, (_, i) => ({
          user: `one${i}`,
          item: 'm0',
          rating: 4,
          timestamp: 0,
        })),
      ],
    };
    const split = leaveLastOut(data.interactions);
    const central = tinyCentralCollab(split);
    dap = await runDapSimulation(
      data,
      split,
      {
        epsilon: 4,
        maxItems: 3,
        population: 45,
        // With the ranker rounds (forced at this size), so visitors without a ranking example
        // send the empty report too.
        shares: { ...DEFAULT_BUDGET_SHARES, forceRankerRounds: true },
        transport: 'sum',
        evaluationK: 10,
        threads: 0,
        seed: 1,
        engine: { encoder, centralCollab: central, shippedRanker: testShippedRanker() },
        log: () => undefined,
      },
      () => Promise.reject(new Error('the sum transport starts no aggregators')),
    );
  }, 120_000);
  afterAll(async () => {
    await encoder.dispose();
  });

  it("ends every visitor's ledger at exactly the cap (spent equals allowed within 1e-9)", () => {
    expect(dap.hearth).toMatchObject({ rounds: 2 });
    expect(Number((dap.hearth as ReportSection).visitorsWithExample)).toBeLessThan(45);
    expect(dap.ledger).toMatchObject({ cap: 4, visitorsAtCap: 45, visitorsBelowCap: 0 });
    expect(Math.abs(Number(dap.epsilon_per_visitor) - 4)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(Number(dap.epsilonPerVisitorMean) - 4)).toBeLessThanOrEqual(1e-9);
  });

  it('labels the resampled population and scores central, private floor and private engine side by side', () => {
    const section = dap.private as ReportSection;
    expect(dap.resampled).toBe(true);
    expect(section.populationNote).toMatch(
      /^resampled population: 45 visitors drawn with replacement/,
    );
    expect(section).toMatchObject({
      central: { ndcg10: expect.any(Number) },
      privateFloor: { ndcg10: expect.any(Number), ranker: 'test-shipped' },
      privateEngine: { ndcg10: expect.any(Number) },
      privateEngineShareOfCentral: expect.any(Number),
      gate: { promote: expect.any(Boolean), k: 10 },
      epsilonPerVisitor: 4,
      epsilonSpentPerVisitor: { max: expect.closeTo(4, 9), mean: expect.closeTo(4, 9) },
      sigma: { histogram: expect.any(Number), evaluation: expect.any(Number) },
      transport: { 'item popularity': expect.stringMatching(/^sum/) },
    });
  });
});
