import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/index.ts';
import type { Encoder } from '../../src/encoder/types.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import type { MovieLensData } from '../../src/eval/movielens.ts';
import { seededRng } from '../../src/shared/rng.ts';
import {
  DEFAULT_RANKER_ROUNDS,
  runSimulation,
  type SimulationOptions,
} from '../../src/sim/simulation.ts';

/** 40 users × 8 interactions over 30 items, items drawn with a popularity skew (seeded). */
function tinyData(): MovieLensData {
  const rng = seededRng(3);
  const interactions = [];
  for (let u = 0; u < 40; u++) {
    const seen = new Set<number>();
    for (let t = 0; seen.size < 8; t++) {
      const item = Math.floor(30 * rng() ** 2);
      if (seen.has(item)) continue;
      seen.add(item);
      interactions.push({ user: `u${u}`, item: `m${item}`, rating: 4, timestamp: t });
    }
  }
  return { interactions, movies: new Map() };
}

/** ε = 4 per client, 4 rounds of 10 clients, in process. */
const TINY_RUN: SimulationOptions = {
  epsilon: 4,
  rounds: 4,
  clientsPerRound: 10,
  clipNorm: 0.2,
  telemetryEpsilon: 2,
  seed: 1,
  http: false,
  log: () => undefined,
};

describe('simulation', () => {
  let encoder: Encoder;
  beforeAll(async () => {
    encoder = await createEncoder();
  });
  afterAll(async () => {
    await encoder.dispose();
  });

  it('reports federated, central and telemetry figures and spends at most the epsilon given', async () => {
    // Act
    const report = await runSimulation(tinyData(), TINY_RUN);
    // Assert
    expect(report.federated).toMatchObject({
      rounds: 4,
      clientsPerRound: 10,
      modelVersion: 4,
      uploads: 40,
      refusedByLedger: 0,
    });
    expect(Number(report.federated?.epsilonSpentPerClientMax)).toBeLessThanOrEqual(4 + 1e-9);
    expect(Number(report.federated?.epsilonSpentPerClientMax)).toBeGreaterThan(3.9);
    expect(report.federated?.ndcg10).toBeGreaterThanOrEqual(0);
    expect(report.central?.ndcg10).toBeGreaterThan(0);
    expect(report.telemetry?.reports).toBe(40 * 7);
    expect(report.telemetry?.top100Overlap).toBeGreaterThan(0);
  }, 20_000);

  it('trains the ranker federatedly within the same per-client budget and evaluates the engine', async () => {
    // Act
    const report = await runSimulation(tinyData(), {
      ...TINY_RUN,
      encoder,
      ranker: { ...DEFAULT_RANKER_ROUNDS, clientsPerRound: 10 },
    });
    // Assert
    const hearth = report.federated?.hearth;
    expect(hearth).toMatchObject({ rounds: 4, clientsPerRound: 10, refusedByLedger: 0 });
    expect(Number(hearth?.uploads)).toBeGreaterThan(20);
    expect(Number(hearth?.modelVersion)).toBeGreaterThanOrEqual(2);
    const weights = hearth?.weights as readonly number[];
    expect(weights[FEATURE_NAMES.indexOf('sim_long')]).not.toBe(0);
    expect(weights[FEATURE_NAMES.indexOf('sim_prompt')]).toBe(8);
    expect(Number(hearth?.ndcg10)).toBeGreaterThanOrEqual(0);
    expect(Number(report.central?.hearth?.ndcg10)).toBeGreaterThan(0);
    // Collab and ranker updates together spend the client's whole budget and no more.
    expect(Number(report.federated?.epsilonSpentPerClientMax)).toBeLessThanOrEqual(4 + 1e-9);
    expect(Number(report.federated?.epsilonSpentPerClientMax)).toBeGreaterThan(3.9);
    expect(report.federated?.budgetShare).toBe(1 - DEFAULT_RANKER_ROUNDS.budgetShare);
  }, 60_000);
});
