/** The privacy panel lists each telemetry batch by its ledger summary: it must read right. */
import { describe, expect, it } from 'vitest';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { createTelemetryClient } from '../../src/privacy/telemetry-client.ts';
import { seededRng } from '../../src/shared/rng.ts';

async function summaryAfter(reports: number): Promise<string> {
  const ledger = createLedger({ storage: createMemoryLedgerStorage(), now: () => 1000 });
  const gate = createPrivacyGate({
    ledger,
    consent: true,
    now: () => 1000,
    fetch: async () => new Response(null, { status: 202 }),
  });
  const client = createTelemetryClient({
    gate,
    url: 'https://x/v1/telemetry',
    rng: seededRng(1),
    schedule: () => undefined,
  });
  for (let i = 0; i < reports; i++) client.report(`item-${i}`);
  await client.flush();
  return (await ledger.entries())[0]?.summary ?? '';
}

describe('telemetry ledger summary', () => {
  it('says "1 OLH item report" for one report and "2 OLH item reports" for two', async () => {
    // Act
    const one = await summaryAfter(1);
    const two = await summaryAfter(2);
    // Assert
    expect(one).toMatch(/ — 1 OLH item report \(ε = 2 each/);
    expect(two).toMatch(/ — 2 OLH item reports \(ε = 2 each/);
  });
});
