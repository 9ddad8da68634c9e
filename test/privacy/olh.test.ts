import { describe, expect, it } from 'vitest';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { olhEncode, olhEstimate, olhParams, olhVariance } from '../../src/privacy/olh.ts';
import { createTelemetryClient } from '../../src/privacy/telemetry-client.ts';
import { ErrorBodySchema } from '../../src/protocol/errors.ts';
import { AggregatesSchema } from '../../src/protocol/telemetry.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { fnv1a, fnv1a64, itemKey64, seededHash64 } from '../../src/shared/hash.ts';
import { seededRng } from '../../src/shared/rng.ts';

describe('OLH frequency oracle', () => {
  it('picks g = round(e^eps + 1)', () => {
    expect(olhParams(2).range).toBe(Math.round(Math.exp(2) + 1));
    expect(olhParams(0.1).range).toBe(2);
  });

  it('is unbiased and has the stated variance (seeded, 200 trials)', () => {
    // Arrange: 12 items with known counts, 3000 reports per trial.
    const items = Array.from({ length: 12 }, (_, i) => `item-${i}`);
    const truth = [900, 600, 450, 300, 250, 200, 150, 100, 50, 0, 0, 0];
    const n = truth.reduce((a, b) => a + b, 0);
    const params = olhParams(2);
    const rng = seededRng(42);
    const trials = 200;
    const sums = new Float64Array(items.length);
    const squares = new Float64Array(items.length);
    // Act
    for (let t = 0; t < trials; t++) {
      const reports = items.flatMap((id, i) =>
        Array.from({ length: truth[i] ?? 0 }, () => olhEncode(id, params, rng)),
      );
      const est = olhEstimate(items, reports, params);
      est.counts.forEach((c, i) => {
        sums[i] = (sums[i] ?? 0) + c;
        squares[i] = (squares[i] ?? 0) + c * c;
      });
    }
    // Assert
    items.forEach((_, i) => {
      const mean = (sums[i] ?? 0) / trials;
      const empVar = (squares[i] ?? 0) / trials - mean * mean;
      const theory = olhVariance(params, n, truth[i] ?? 0);
      expect(Math.abs(mean - (truth[i] ?? 0))).toBeLessThan(4 * Math.sqrt(theory / trials));
      // Sample variance of 200 draws: relative sd ≈ sqrt(2/199) ≈ 0.1; allow ±35%.
      expect(empVar / theory).toBeGreaterThan(0.65);
      expect(empVar / theory).toBeLessThan(1.35);
    });
  });

  it('reports a variance that includes the item-count term', () => {
    const params = olhParams(1);
    expect(olhVariance(params, 1000, 500)).not.toBeCloseTo(olhVariance(params, 1000, 0), 3);
  });

  it('rejects an empty estimation domain', () => {
    expect(() => olhEstimate([], [], olhParams(1))).toThrow(/domain is empty/);
  });
});

/** Searches seeded random ids for two that share a 32-bit FNV-1a hash (≈ 80k ids on average). */
function fnv32CollidingPair(seed: number): [string, string] {
  const rng = seededRng(seed);
  const seen = new Map<number, string>();
  for (;;) {
    const id = `sku-${Math.floor(rng() * 1e12).toString(36)}`;
    const other = seen.get(fnv1a(id));
    if (other !== undefined && other !== id) return [other, id];
    seen.set(fnv1a(id), id);
  }
}

/** FNV-1a 64 over UTF-8 with BigInt: a slow, obviously correct reference. */
function fnv1a64Reference(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

function asBigInt(key: { hi: number; lo: number }): bigint {
  return (BigInt(key.hi) << 32n) | BigInt(key.lo);
}

describe('OLH item keys (64-bit)', () => {
  it('computes FNV-1a 64 test vectors and agrees with a BigInt reference on UTF-8 text', () => {
    // Arrange: vectors from the FNV reference test suite, then seeded random text.
    const vectors: [string, bigint][] = [
      ['', 0xcbf29ce484222325n],
      ['a', 0xaf63dc4c8601ec8cn],
      ['foobar', 0x85944171f73967e8n],
    ];
    const rng = seededRng(5);
    const alphabet = ['a', 'Z', '0', '-', 'é', '€', '你', '😀', ' ', '\u0000'];
    const texts = Array.from({ length: 500 }, () =>
      Array.from(
        { length: Math.floor(rng() * 30) },
        () => alphabet[Math.floor(rng() * alphabet.length)],
      ).join(''),
    );
    // Act / Assert
    for (const [text, want] of vectors) expect(asBigInt(fnv1a64(text))).toBe(want);
    for (const text of texts) expect(asBigInt(fnv1a64(text))).toBe(fnv1a64Reference(text));
  });

  it('keeps lone surrogates apart instead of replacing them (distinct ids, distinct keys)', () => {
    expect(asBigInt(fnv1a64('id\uD800'))).not.toBe(asBigInt(fnv1a64('id\uD801')));
    expect(asBigInt(fnv1a64('id\uD800'))).not.toBe(asBigInt(fnv1a64('id\uFFFD')));
  });

  it('no longer merges two ids that collide under the 32-bit FNV-1a hash', () => {
    // Arrange: a colliding pair found by a seeded search; 2000 reports of the first id only.
    const [a, b] = fnv32CollidingPair(2024);
    expect(fnv1a(a)).toBe(fnv1a(b));
    const params = olhParams(2);
    const rng = seededRng(8);
    const reports = Array.from({ length: 2000 }, () => olhEncode(a, params, rng));
    // Act
    const est = olhEstimate([a, b], reports, params);
    // Assert: the keys differ, and b's estimate is ≈ 0 (sd ≈ 65), not a's 2000.
    expect(est.counts[0]).toBeGreaterThan(1700);
    expect(Math.abs(est.counts[1] ?? Number.NaN)).toBeLessThan(300);
    expect(asBigInt(itemKey64(a))).not.toBe(asBigInt(itemKey64(b)));
  });

  it('gives two distinct keys the same seeded hash for about 1/g of the seeds', () => {
    // Arrange
    const range = 8;
    const [a, b] = [itemKey64('item-1'), itemKey64('item-2')];
    // Act
    let same = 0;
    for (let seed = 0; seed < 20_000; seed++) {
      if (seededHash64(a.hi, a.lo, seed, range) === seededHash64(b.hi, b.lo, seed, range)) same++;
    }
    // Assert: 2500 expected, binomial sd ≈ 47.
    expect(Math.abs(same - 2500)).toBeLessThan(200);
  });
});

describe('OLH client and server agree', () => {
  async function setup() {
    const storage = openServerStorage(':memory:');
    const app = createApp({ storage, adminToken: 'test-admin-token-of-32-characters!' });
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `item-${i}`, title: `Item ${i}` }));
    await app.request('/v1/admin/catalog', {
      method: 'PUT',
      headers: {
        authorization: 'Bearer test-admin-token-of-32-characters!',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ version: 1, items }),
    });
    return app;
  }

  it('counts reports made by the telemetry client on the server (one item reported 400 times ranks first)', async () => {
    // Arrange: the client's gate sends straight into the server app.
    const app = await setup();
    // Caps far above one batch of 500 reports at ε = 2: this test is about the hash, not the cap.
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: 10_000, lifetimeEpsilon: 10_000 },
      now: () => 0,
    });
    const gate = createPrivacyGate({
      ledger,
      consent: true,
      now: () => 0,
      fetch: async (url, init) => app.request(url, init),
    });
    const client = createTelemetryClient({
      gate,
      url: 'http://hearth.test/v1/telemetry',
      rng: seededRng(21),
      maxBatch: 500,
      schedule: () => undefined,
    });
    // Act
    for (let i = 0; i < 400; i++) client.report('item-17');
    for (let i = 0; i < 100; i++) client.report(`item-${i % 30}`);
    const sent = await client.flush();
    const agg = AggregatesSchema.parse(await (await app.request('/v1/aggregates?limit=3')).json());
    // Assert: item-17 was reported 400 + 3 times; sd of an estimate at n = 500, ε = 2 ≈ 30.
    expect(sent).toBe(500);
    expect(agg.reports).toBe(500);
    expect(agg.items[0]?.itemId).toBe('item-17');
    expect(Math.abs((agg.items[0]?.count ?? 0) - 403)).toBeLessThan(120);
  });

  it('rejects a version-1 telemetry batch (32-bit item keys) with a 400 that says to update the client', async () => {
    // Arrange
    const app = await setup();
    const body = { v: 1, kind: 'telemetry', mechanism: 'olh', epsilon: 2, reports: [[1, 2]] };
    // Act
    const res = await app.request('/v1/telemetry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const error = ErrorBodySchema.parse(await res.json()).error;
    // Assert
    expect(res.status).toBe(400);
    expect(error.code).toBe('invalid');
    expect(error.reasons?.join('\n')).toMatch(
      /^v: telemetry version 1 is not accepted: this server counts version 2 .*Update the Hearth client/m,
    );
  });
});
