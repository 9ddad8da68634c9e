/** Rate limits and quotas count per client address (issue 11, items 10–12). */
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/server/app.ts';
import { addressGroup } from '../../src/server/client-address.ts';
import { DAY_MS } from '../../src/server/storage.ts';
import { requestFrom, telemetryInit } from '../../support/server-attacks.ts';
import { frame, setupApp } from './helpers.ts';

type App = Awaited<ReturnType<typeof setupApp>>['app'];

/** Statuses of `n` GET /v1/round, each on a new connection from `address` with `headers`. */
async function statuses(
  app: App,
  address: string,
  n: number,
  headers: Record<string, string> = {},
) {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push((await requestFrom(app, address, '/v1/round', { headers })).status);
  return out;
}

const LIMITED: Partial<AppDeps> = { rateLimit: { perSecond: 1, burst: 5 } };

function telemetry(reports: number) {
  return telemetryInit(Array.from({ length: reports }, (_, i) => [i, i % 8] as [number, number]));
}

function update(values: Float32Array) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: frame(values),
  };
}

describe('rate limit per client address', () => {
  it('does not refill the bucket when one address opens new connections', async () => {
    const { app } = await setupApp(4, LIMITED);
    expect(await statuses(app, '203.0.113.7', 7)).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('gives every address its own bucket', async () => {
    const { app } = await setupApp(4, LIMITED);
    await statuses(app, '203.0.113.7', 6);
    expect(await statuses(app, '203.0.113.8', 1)).toEqual([200]);
  });

  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    // Arrange
    const { app } = await setupApp(4, LIMITED);
    const spoofed: number[] = [];
    // Act: every request claims another forwarded address.
    for (let i = 0; i < 7; i++)
      spoofed.push(
        ...(await statuses(app, '203.0.113.7', 1, { 'x-forwarded-for': `192.0.2.${i}` })),
      );
    // Assert
    expect(spoofed.at(-1)).toBe(429);
  });

  it('behind a trusted proxy counts the last X-Forwarded-For entry, not the ones the client wrote', async () => {
    // Arrange: the proxy is 10.0.0.1; it appends the client's address to what the client sent.
    const { app } = await setupApp(4, { ...LIMITED, trustProxy: true });
    const forged: number[] = [];
    // Act
    for (let i = 0; i < 7; i++)
      forged.push(
        ...(await statuses(app, '10.0.0.1', 1, {
          'x-forwarded-for': `192.0.2.${i}, 198.51.100.4`,
        })),
      );
    const other = await statuses(app, '10.0.0.1', 1, { 'x-forwarded-for': '198.51.100.5' });
    // Assert
    expect(forged.at(-1)).toBe(429);
    expect(other).toEqual([200]);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 one', () => {
    expect(addressGroup('2001:db8:1:2::1')).toBe(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressGroup('2001:db8:1:2::1')).not.toBe(addressGroup('2001:db8:1:3::1'));
    expect(addressGroup('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('upload quota per client address per round', () => {
  it('refuses a third update from one address in a round with 429 and accepts one from another address', async () => {
    // Arrange: k = 16, so the round stays open.
    const { app } = await setupApp(4, {}, { minUpdates: 16 });
    const zero = new Float32Array(4);
    // Act
    const same: number[] = [];
    for (let i = 0; i < 3; i++)
      same.push((await requestFrom(app, '203.0.113.7', '/v1/updates', update(zero))).status);
    const refused = await requestFrom(app, '203.0.113.7', '/v1/updates', update(zero));
    const other = await requestFrom(app, '203.0.113.8', '/v1/updates', update(zero));
    // Assert
    expect(same).toEqual([202, 202, 429]);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(other.status).toBe(202);
  });

  it('does not count a refused or replayed update against the quota', async () => {
    // Arrange
    const { app } = await setupApp(4, {}, { minUpdates: 16 });
    const body = frame(new Float32Array(4), { id: 'replayed-id-0000042' });
    const send = (init: RequestInit) => requestFrom(app, '203.0.113.7', '/v1/updates', init);
    const octets = { method: 'POST', headers: { 'content-type': 'application/octet-stream' } };
    // Act
    const invalid = await send(update(Float32Array.of(9, 0, 0, 0)));
    const first = await send({ ...octets, body });
    const replay = await send({ ...octets, body });
    const second = await send(update(new Float32Array(4)));
    // Assert
    expect([invalid.status, first.status, replay.status, second.status]).toEqual([
      400, 202, 200, 202,
    ]);
  });
});

describe('report quota per client address per day', () => {
  it('refuses a batch that would pass the daily quota and accepts again the next UTC day', async () => {
    // Arrange
    let now = 10 * DAY_MS + 1000;
    const { app } = await setupApp(4, { now: () => now, quotas: { reportsPerDay: 30 } });
    // Act
    const first = await requestFrom(app, '203.0.113.7', '/v1/telemetry', telemetry(20));
    const over = await requestFrom(app, '203.0.113.7', '/v1/telemetry', telemetry(20));
    const fits = await requestFrom(app, '203.0.113.7', '/v1/telemetry', telemetry(10));
    now += DAY_MS;
    const nextDay = await requestFrom(app, '203.0.113.7', '/v1/telemetry', telemetry(20));
    // Assert
    expect([first.status, over.status, fits.status, nextDay.status]).toEqual([202, 429, 202, 202]);
    expect(over.headers.get('retry-after')).toBe(String(DAY_MS / 1000 - 1));
  });

  it('exempts in-process requests (no socket: the embedding program itself) from the quotas', async () => {
    const { app } = await setupApp(4, { quotas: { reportsPerDay: 10 } });
    const res = await app.request('/v1/telemetry', telemetry(20));
    expect(res.status).toBe(202);
  });
});
