import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  BudgetExceededError,
  ConsentRequiredError,
} from '../../src/privacy/errors.ts';
import { createLedger } from '../../src/privacy/ledger.ts';
import { createIdbLedgerStorage } from '../../src/store/ledger-store.ts';

describe('IndexedDB ledger storage', () => {
  it('persists rows with rho and url in the ledger store and reads them back by time', async () => {
    // Arrange
    const storage = createIdbLedgerStorage('hearth-ledger-test');
    const ledger = createLedger({ storage, now: () => 5000 });
    // Act
    await ledger.record({
      at: 1000,
      kind: 'request',
      epsilon: 0,
      delta: 0,
      bytes: 0,
      summary: 'GET model',
      url: 'https://x/v1/model',
    });
    await ledger.record({
      at: 2000,
      kind: 'update',
      epsilon: 1.5,
      delta: 1e-6,
      bytes: 99,
      summary: 'update',
      rho: 0.05,
    });
    const again = createIdbLedgerStorage('hearth-ledger-test');
    // Assert
    const rows = await again.list();
    expect(rows.map((r) => r.kind)).toEqual(['request', 'update']);
    expect(rows[0]?.url).toBe('https://x/v1/model');
    expect(rows[1]?.rho).toBe(0.05);
    expect((await again.list(1500)).length).toBe(1);
    await again.clear();
    expect(await again.list()).toEqual([]);
  });
});

describe('IndexedDB ledger storage: one atomic step across contexts', () => {
  const release = (epsilon: number) => ({
    at: 1000,
    kind: 'telemetry' as const,
    epsilon,
    delta: 0,
    bytes: 10,
    summary: 'reports',
  });

  it('lets exactly one of two tabs spend ε = 6 under a daily cap of 8 at the same time', async () => {
    // Arrange: two ledgers (two tabs) with their own connections to one database.
    const name = 'hearth-ledger-two-tabs';
    const tabA = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    const tabB = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    // Act
    const results = await Promise.allSettled([tabA.record(release(6)), tabB.record(release(6))]);
    // Assert
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(BudgetExceededError);
    expect((await tabA.spent()).daily.epsilon).toBe(6);
  });

  it('refuses a release needing consent when the stored consent is off, in the same transaction', async () => {
    // Arrange: tab B turned consent on, tab A turns it off.
    const name = 'hearth-ledger-consent';
    const tabA = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    const tabB = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    await tabB.setConsent(true);
    await tabB.record(release(1), { requireConsent: true });
    // Act
    await tabA.setConsent(false);
    const refused = await tabB.record(release(1), { requireConsent: true }).catch((e) => e);
    // Assert
    expect(refused).toBeInstanceOf(ConsentRequiredError);
    expect(await tabB.consent()).toBe(false);
    expect(await tabB.entries()).toHaveLength(1);
  });

  it('prunes old download rows inside the same transaction', async () => {
    const ledger = createLedger({
      storage: createIdbLedgerStorage('hearth-ledger-prune'),
      now: () => 1000,
      keepDownloads: 2,
    });
    for (let i = 1; i <= 4; i++) {
      await ledger.record({
        ...release(0),
        at: i,
        kind: 'download',
        bytes: 0,
        url: `https://x/${i}`,
      });
    }
    expect((await ledger.entries()).map((r) => r.url)).toEqual(['https://x/3', 'https://x/4']);
  });

  it('lets exactly one of two tabs release under the same once key (one DAP report per task)', async () => {
    // Arrange: two tabs, each about to send the report of the same task and window.
    const name = 'hearth-ledger-once';
    const tabA = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    const tabB = createLedger({ storage: createIdbLedgerStorage(name), now: () => 1000 });
    const report = { ...release(0.5), kind: 'dap-report' as const, rho: 0.01 };
    // Act
    const results = await Promise.allSettled([
      tabA.record(report, { once: 'dap:t:0' }),
      tabB.record(report, { once: 'dap:t:0' }),
    ]);
    // Assert
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(AlreadyReleasedError);
    expect(await tabA.entries()).toHaveLength(1);
    expect((await tabA.entries())[0]?.kind).toBe('dap-report');
    expect(await tabB.released('dap:t:0')).toBe(true);
  });

  it('forgets the once keys with the rows when cleared, and keeps the consent choice', async () => {
    const storage = createIdbLedgerStorage('hearth-ledger-once-clear');
    const ledger = createLedger({ storage, now: () => 1000 });
    await ledger.setConsent(true);
    await ledger.record({ ...release(0.5), kind: 'dap-report', rho: 0.01 }, { once: 'dap:t:0' });
    await storage.clear();
    expect(await ledger.released('dap:t:0')).toBe(false);
    expect(await ledger.entries()).toEqual([]);
    expect(await ledger.consent()).toBe(true);
  });
});
