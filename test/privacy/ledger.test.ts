import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  BudgetExceededError,
  ConsentRequiredError,
  InvalidCostError,
} from '../../src/privacy/errors.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import {
  createLedger,
  createMemoryLedgerStorage,
  DEFAULT_CAPS,
  DOWNLOAD_ROWS_KEPT,
} from '../../src/privacy/ledger.ts';
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

describe('privacy ledger: costs must be finite and non-negative', () => {
  it.each([
    ['epsilon', { epsilon: Number.NaN }],
    ['epsilon', { epsilon: -1 }],
    ['epsilon', { epsilon: Number.POSITIVE_INFINITY }],
    ['delta', { delta: Number.NaN }],
    ['delta', { delta: -1e-6 }],
    ['rho', { rho: Number.NaN }],
    ['rho', { rho: -0.5 }],
    ['bytes', { bytes: Number.NaN }],
    ['bytes', { bytes: -10 }],
  ])(
    'refuses a row whose %s is %o with InvalidCostError and stores nothing',
    async (field, bad) => {
      // Arrange
      const ledger = createLedger({ storage: createMemoryLedgerStorage(), now: () => 0 });
      // Act
      const error = await ledger.record({ ...row(0, 1), ...bad }).catch((e: unknown) => e);
      // Assert
      expect(error).toBeInstanceOf(InvalidCostError);
      expect((error as InvalidCostError).field).toBe(field);
      expect((error as Error).message).toMatch(
        new RegExp(
          `privacy cost ${field} must be a finite number >= 0.*nothing was recorded or sent`,
        ),
      );
      expect(await ledger.entries()).toEqual([]);
    },
  );

  it('refuses to answer canSpend for a NaN or negative cost', async () => {
    const ledger = createLedger({ storage: createMemoryLedgerStorage() });
    await expect(ledger.canSpend({ epsilon: Number.NaN, rho: 0 })).rejects.toBeInstanceOf(
      InvalidCostError,
    );
    await expect(ledger.canSpend({ epsilon: 0, rho: -1 })).rejects.toBeInstanceOf(InvalidCostError);
  });

  it('after a NaN spend is refused, ten sends at ε = 8 are refused once the daily cap is reached', async () => {
    // Arrange: the attack of the review — a NaN spend, then ten sends at the whole daily cap.
    const sent: string[] = [];
    const ledger = createLedger({ storage: createMemoryLedgerStorage(), now: () => 1000 });
    const gate = createPrivacyGate({
      ledger,
      consent: true,
      now: () => 1000,
      fetch: async (url) => {
        sent.push(url);
        return new Response(null, { status: 202 });
      },
    });
    const send = (epsilon: number) =>
      gate.send({
        url: 'https://x/v1/telemetry',
        body: '{}',
        kind: 'telemetry',
        summary: 's',
        epsilon,
      });
    // Act
    const nan = await send(Number.NaN).catch((e: unknown) => e);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => send(8)));
    // Assert
    expect(nan).toBeInstanceOf(InvalidCostError);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.reason).toBeInstanceOf(BudgetExceededError);
    expect(sent).toHaveLength(1);
    expect((await ledger.spent()).daily.epsilon).toBe(8);
  });

  it('counts a stored row with a NaN cost as an exhausted budget (fails closed)', async () => {
    // Arrange: a row written behind the ledger's back (e.g. by an older version).
    const storage = createMemoryLedgerStorage();
    await storage.appendIf({ ...row(0, Number.NaN) }, () => ({ prune: [] }));
    const ledger = createLedger({ storage, now: () => 0 });
    // Act / Assert
    expect((await ledger.canSpend({ epsilon: 1, rho: 0 })).ok).toBe(false);
    await expect(ledger.record(row(0, 1))).rejects.toBeInstanceOf(BudgetExceededError);
  });
});

describe('privacy ledger: consent and download rows', () => {
  it('refuses a row that requires consent while the stored consent is off, and takes it once on', async () => {
    // Arrange
    const ledger = createLedger({ storage: createMemoryLedgerStorage(), now: () => 0 });
    // Act / Assert
    await expect(ledger.record(row(0, 1), { requireConsent: true })).rejects.toBeInstanceOf(
      ConsentRequiredError,
    );
    await ledger.setConsent(true);
    await expect(ledger.record(row(0, 1), { requireConsent: true })).resolves.toMatchObject({
      epsilon: 1,
    });
    expect(await ledger.consent()).toBe(true);
  });

  it('keeps only the newest download rows and never prunes a row with a privacy cost', async () => {
    // Arrange
    let now = 0;
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      now: () => now,
      keepDownloads: 3,
    });
    const download = (at: number) => ({
      at,
      kind: 'download' as const,
      epsilon: 0,
      delta: 0,
      bytes: 0,
      summary: `file ${at}`,
      url: `https://x/models/${at}`,
    });
    // Act
    await ledger.record(row(0, 2));
    for (now = 1; now <= 6; now++) await ledger.record(download(now));
    // Assert
    const rows = await ledger.entries();
    expect(rows.filter((r) => r.kind === 'download').map((r) => r.at)).toEqual([4, 5, 6]);
    expect(rows.filter((r) => r.kind === 'telemetry')).toHaveLength(1);
    expect(DOWNLOAD_ROWS_KEPT).toBe(500);
  });
});

describe('privacy ledger: a release made at most once per key', () => {
  const report = {
    at: 1000,
    kind: 'dap-report' as const,
    epsilon: 1,
    delta: 1e-6,
    bytes: 100,
    summary: 'DAP report',
    rho: 0.01,
  };

  it('refuses a second release under the same once key and stores only the first row', async () => {
    // Arrange
    const ledger = createLedger({ storage: createMemoryLedgerStorage(), now: () => 1000 });
    await ledger.record(report, { once: 'dap:task-a:0' });
    // Act
    const second = await ledger.record(report, { once: 'dap:task-a:0' }).catch((e) => e);
    // Assert
    expect(second).toBeInstanceOf(AlreadyReleasedError);
    expect(await ledger.entries()).toHaveLength(1);
    expect(await ledger.released('dap:task-a:0')).toBe(true);
    expect(await ledger.released('dap:task-b:0')).toBe(false);
  });

  it('leaves the key free when the release is refused for another reason (cap)', async () => {
    // Arrange
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 0.5 },
      now: () => 1000,
    });
    // Act
    const refused = await ledger.record(report, { once: 'dap:task-a:0' }).catch((e) => e);
    // Assert
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect(await ledger.released('dap:task-a:0')).toBe(false);
  });

  it('forgets every once key when the storage is cleared', async () => {
    const storage = createMemoryLedgerStorage();
    const ledger = createLedger({ storage, now: () => 1000 });
    await ledger.record(report, { once: 'k' });
    await storage.clear();
    expect(await ledger.released('k')).toBe(false);
  });
});
