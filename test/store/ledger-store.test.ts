import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
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
