import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/privacy/errors.ts';
import { createLedger, createMemoryLedgerStorage, DEFAULT_CAPS } from '../../src/privacy/ledger.ts';
import { gaussianRho, rhoToEpsilon } from '../../src/privacy/rdp.ts';

const HOUR = 3_600_000;

function row(at: number, epsilon: number) {
  return { at, kind: 'telemetry' as const, epsilon, delta: 0, bytes: 10, summary: 'test' };
}

describe('privacy ledger', () => {
  it('documents its default caps', () => {
    expect(DEFAULT_CAPS).toEqual({ dailyEpsilon: 8, lifetimeEpsilon: 64, delta: 1e-6 });
  });

  it('refuses a release that would exceed the daily cap and stores nothing', async () => {
    // Arrange
    let now = 0;
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 4 },
      now: () => now,
    });
    await ledger.record(row(now, 3));
    // Act / Assert
    expect(await ledger.canSpend({ epsilon: 2, rho: 0 })).toMatchObject({ ok: false });
    await expect(ledger.record(row(now, 2))).rejects.toBeInstanceOf(BudgetExceededError);
    expect((await ledger.entries()).length).toBe(1);
    // A rolling day later the daily cap frees up again.
    now = 25 * HOUR;
    expect(await ledger.canSpend({ epsilon: 2, rho: 0 })).toEqual({ ok: true });
  });

  it('enforces the lifetime cap across days', async () => {
    let now = 0;
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 4, lifetimeEpsilon: 10 },
      now: () => now,
    });
    for (let day = 0; day < 2; day++) {
      now = day * 25 * HOUR;
      await ledger.record(row(now, 4));
    }
    now = 3 * 25 * HOUR;
    const decision = await ledger.canSpend({ epsilon: 3, rho: 0 });
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.reason).toMatch(/lifetime/);
  });

  it('composes Gaussian releases through rho, tighter than summing their epsilons', async () => {
    // Arrange
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 100, lifetimeEpsilon: 100 },
    });
    const rho = gaussianRho(3);
    const single = rhoToEpsilon(rho, 1e-6);
    // Act
    for (let i = 0; i < 10; i++) {
      await ledger.record({
        at: 0,
        kind: 'update',
        epsilon: single,
        delta: 1e-6,
        bytes: 100,
        summary: 'u',
        rho,
      });
    }
    const { lifetime } = await ledger.spent();
    // Assert
    expect(lifetime.rho).toBeCloseTo(10 * rho, 12);
    expect(lifetime.epsilon).toBeCloseTo(rhoToEpsilon(10 * rho, 1e-6), 9);
    expect(lifetime.epsilon).toBeLessThan(10 * single);
    expect(lifetime.bytes).toBe(1000);
  });

  it('serialises concurrent records so the cap holds under races', async () => {
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 5 },
      now: () => 0,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => ledger.record(row(0, 1))),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
  });
});
