/**
 * The abuse paths of issue 11 (items 10, 11), attacked against the real app in process with the
 * harness in support/server-attacks.ts; bench/server.bench.ts reports the same figures.
 */
import { describe, expect, it } from 'vitest';
import { noiseMultiplierFor } from '../../src/federated/privatize.ts';
import { noiseForRho, rhoForBudget } from '../../src/privacy/rdp.ts';
import { DEFAULT_QUOTAS } from '../../src/server/app.ts';
import { updateBounds } from '../../src/server/update-bounds.ts';
import { popularityAttack, weightAttack } from '../../support/server-attacks.ts';

/** The demo's ranker round (src/cli/start.ts): 10 weights, C = 0.5, one update costs ε = 0.25. */
const RANKER_ROUND = {
  length: 10,
  clipNorm: 0.5,
  noiseMultiplier: noiseMultiplierFor(noiseForRho(rhoForBudget(0.25, 1e-6))),
  minUpdates: 16,
};
const BOUNDS = updateBounds(
  RANKER_ROUND.clipNorm,
  RANKER_ROUND.noiseMultiplier,
  RANKER_ROUND.length,
);

/** 100 items, 10,000 honest reports drawn Zipf(1) from 500 addresses. */
const POPULARITY = { items: 100, honestReports: 10_000, honestPerAddress: 20, seed: 7 };

describe('server attacks: one client against the federated model', () => {
  it('accepts at most the per-value bound on one weight in a single crafted update', async () => {
    // Act
    const result = await weightAttack(RANKER_ROUND, { uploads: 1, addresses: 1 });
    // Assert: the bound an honest update (signal + declared noise) stays under, not the norm bound.
    expect(result.perUpdate).toBeLessThanOrEqual(BOUNDS.maxCoordinate);
    expect(result.perUpdate).toBeLessThan(BOUNDS.maxNorm);
  });

  it('lets one address with 16 crafted uploads move a weight by 2 uploads at the per-value bound over k', async () => {
    // Act
    const result = await weightAttack(RANKER_ROUND, { uploads: 16, addresses: 1 });
    // Assert
    expect(result.accepted).toBe(DEFAULT_QUOTAS.updatesPerRound);
    expect(result.weightChange).toBeLessThanOrEqual(
      (DEFAULT_QUOTAS.updatesPerRound * BOUNDS.maxCoordinate) / RANKER_ROUND.minUpdates + 1e-4,
    );
  });

  it('lets 16 addresses move a weight by at most the per-value bound, never the norm bound', async () => {
    // Act
    const result = await weightAttack(RANKER_ROUND, { uploads: 16, addresses: 16 });
    // Assert
    expect(result.accepted).toBe(16);
    expect(result.weightChange).toBeLessThanOrEqual(BOUNDS.maxCoordinate + 1e-4);
  });
});

describe('server attacks: forged popularity reports', () => {
  it('refuses one address after its daily report quota, before it can put the last item first', async () => {
    // Act
    const result = await popularityAttack(POPULARITY, { addresses: 1, maxForged: 5_000 });
    // Assert
    expect(result.reachedFirst).toBe(false);
    expect(result.forgedAccepted).toBeLessThanOrEqual(DEFAULT_QUOTAS.reportsPerDay);
    expect(result.forgedRefused).toBeGreaterThan(0);
  });

  it('still lets forged reports from many addresses move an item (the residual risk of anonymous LDP)', async () => {
    // Act
    const result = await popularityAttack(POPULARITY, { addresses: 1_000, maxForged: 5_000 });
    // Assert: it works, but only with more addresses than the daily quota of one.
    expect(result.reachedFirst).toBe(true);
    expect(result.addressesUsed).toBeGreaterThanOrEqual(
      Math.ceil(result.forgedAccepted / DEFAULT_QUOTAS.reportsPerDay),
    );
    expect(result.addressesUsed).toBeGreaterThan(1);
  });
});
