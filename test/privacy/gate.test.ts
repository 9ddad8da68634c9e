import { describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  BudgetExceededError,
  ConsentRequiredError,
  InvalidCostError,
} from '../../src/privacy/errors.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { createTelemetryClient } from '../../src/privacy/telemetry-client.ts';
import { TelemetryBatchSchema } from '../../src/protocol/telemetry.ts';
import { seededRng } from '../../src/shared/rng.ts';

function setup(consent?: boolean, dailyEpsilon = 8) {
  const sent: { url: string; body: string | undefined; init: RequestInit }[] = [];
  const ledger = createLedger({
    storage: createMemoryLedgerStorage(),
    caps: { dailyEpsilon },
    now: () => 1000,
  });
  const gate = createPrivacyGate({
    ledger,
    consent,
    now: () => 1000,
    fetch: async (url, init) => {
      sent.push({ url, body: typeof init.body === 'string' ? init.body : undefined, init });
      return new Response(null, { status: 202 });
    },
  });
  return { sent, ledger, gate };
}

describe('privacy gate', () => {
  it('sends nothing while consent is off (the default)', async () => {
    const { sent, gate, ledger } = setup();
    await expect(
      gate.send({ url: 'https://x/v1/model', kind: 'request', summary: 'model' }),
    ).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(sent).toEqual([]);
    expect(await ledger.entries()).toEqual([]);
  });

  it('records url, bytes and a readable summary for every request it sends', async () => {
    const { sent, gate, ledger } = setup(true);
    await gate.send({
      url: 'https://x/v1/telemetry',
      body: '{"a":"é"}',
      kind: 'telemetry',
      summary: '1 report',
      epsilon: 2,
    });
    expect(sent.length).toBe(1);
    const [entry] = await ledger.entries();
    expect(entry).toMatchObject({
      kind: 'telemetry',
      url: 'https://x/v1/telemetry',
      bytes: 10,
      epsilon: 2,
      summary: 'POST https://x/v1/telemetry — 1 report',
    });
  });

  it('makes every request anonymous: no credentials, no referrer, no HTTP cache', async () => {
    const { sent, gate } = setup(true);
    await gate.send({ url: 'https://x/v1/telemetry', body: '{}', kind: 'telemetry', summary: 's' });
    await gate.download({ url: 'https://x/v1/catalog', summary: 'catalog' });
    for (const { init } of sent) {
      expect(init).toMatchObject({
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
      });
    }
    expect(sent).toHaveLength(2);
  });

  it('records every download at ε 0 without consent', async () => {
    const { sent, gate, ledger } = setup(false);
    await gate.download({ url: 'https://x/models/ranker/manifest.json', summary: 'ranker' });
    expect(sent.map((s) => s.url)).toEqual(['https://x/models/ranker/manifest.json']);
    expect(await ledger.entries()).toMatchObject([
      { kind: 'download', epsilon: 0, url: 'https://x/models/ranker/manifest.json' },
    ]);
  });

  it('refuses a release over the cap without sending', async () => {
    const { sent, gate } = setup(true, 3);
    await expect(
      gate.send({
        url: 'https://x/v1/telemetry',
        body: '{}',
        kind: 'telemetry',
        summary: 'r',
        epsilon: 4,
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sent).toEqual([]);
  });
});

describe('privacy gate: consent is the stored choice, read at every send', () => {
  it('refuses a send as soon as another gate over the same storage turns consent off', async () => {
    // Arrange: two gates (two tabs) over one storage; consent turned on in tab B.
    const storage = createMemoryLedgerStorage();
    const sent: string[] = [];
    const fetch = async (url: string) => {
      sent.push(url);
      return new Response(null, { status: 202 });
    };
    const tabA = createPrivacyGate({ ledger: createLedger({ storage }), fetch });
    const tabB = createPrivacyGate({ ledger: createLedger({ storage }), fetch });
    await tabB.setConsent(true);
    const release = {
      url: 'https://x/v1/telemetry',
      body: '{}',
      kind: 'telemetry' as const,
      summary: 's',
      epsilon: 1,
    };
    await tabB.send(release);
    // Act
    await tabA.setConsent(false);
    const refused = await tabB.send(release).catch((e: unknown) => e);
    // Assert
    expect(refused).toBeInstanceOf(ConsentRequiredError);
    expect(await tabB.consent()).toBe(false);
    expect(sent).toHaveLength(1);
  });

  it('refuses a NaN or negative cost with InvalidCostError before recording or sending', async () => {
    const { sent, gate, ledger } = setup(true);
    const release = { url: 'https://x/v1/updates', kind: 'update' as const, summary: 'u' };
    await expect(gate.send({ ...release, rho: Number.NaN })).rejects.toBeInstanceOf(
      InvalidCostError,
    );
    await expect(gate.send({ ...release, epsilon: -2 })).rejects.toBeInstanceOf(InvalidCostError);
    expect(sent).toEqual([]);
    expect(await ledger.entries()).toEqual([]);
  });
});

describe('telemetry client', () => {
  it('batches OLH reports, schedules a random delay and sends a valid batch through the gate', async () => {
    // Arrange
    const { sent, gate, ledger } = setup(true);
    const delays: number[] = [];
    const client = createTelemetryClient({
      gate,
      url: 'https://x/v1/telemetry',
      rng: seededRng(3),
      epsilon: 2,
      schedule: (_fn, ms) => delays.push(ms),
    });
    // Act
    client.report('a');
    client.report('b');
    const count = await client.flush();
    // Assert
    expect(count).toBe(2);
    expect(delays.length).toBe(1);
    expect(delays[0]).toBeGreaterThanOrEqual(30_000);
    const batch = TelemetryBatchSchema.parse(JSON.parse(sent[0]?.body ?? ''));
    expect(batch.reports.length).toBe(2);
    expect(JSON.stringify(batch)).not.toMatch(/"a"|"b"/);
    expect((await ledger.spent()).daily.epsilon).toBe(4);
  });
});

describe('privacy gate: DAP report uploads', () => {
  it('sends a PUT with its bytes once per once key and refuses the second without sending', async () => {
    // Arrange
    const { sent, gate, ledger } = setup(true);
    const request = {
      url: 'https://leader/tasks/t/reports',
      method: 'PUT' as const,
      body: new Uint8Array(64),
      contentType: 'application/dap-report',
      kind: 'dap-report' as const,
      summary: 'DAP report',
      rho: 0.01,
      once: 'dap:t:0',
    };
    // Act
    await gate.send(request);
    const second = await gate.send(request).catch((e) => e);
    // Assert
    expect(sent.map((s) => s.init.method)).toEqual(['PUT']);
    expect(second).toBeInstanceOf(AlreadyReleasedError);
    expect((await ledger.entries()).map((r) => [r.kind, r.bytes])).toEqual([['dap-report', 64]]);
  });
});
