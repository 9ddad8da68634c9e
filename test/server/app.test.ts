import { describe, expect, it } from 'vitest';
import {
  ErrorBodySchema,
  ModelsResponseSchema,
  RoundConfigSchema,
} from '../../src/protocol/index.ts';
import { updateBounds } from '../../src/server/update-bounds.ts';
import { telemetryInit } from '../../support/server-attacks.ts';
import { admin, frame, postUpdate, setupApp } from './helpers.ts';

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

describe('server: health, admin, model, round', () => {
  it('answers /healthz', async () => {
    const { app } = await setupApp();
    expect(await (await app.request('/healthz')).json()).toEqual({ ok: true, modelVersion: 0 });
  });

  it('rejects admin calls with a missing or wrong token (401)', async () => {
    const { app } = await setupApp();
    const missing = await app.request('/v1/admin/round', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.status).toBe(401);
    const wrong = await app.request('/v1/admin/round', {
      method: 'POST',
      body: '{}',
      headers: { ...admin, authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe('unauthorized');
  });

  it('disables admin endpoints when no token is configured', async () => {
    const { app } = await setupApp(8, {});
    const { createApp } = await import('../../src/server/app.ts');
    const { openServerStorage } = await import('../../src/server/storage.ts');
    const bare = createApp({ storage: openServerStorage(':memory:') });
    const res = await bare.request('/v1/admin/round', {
      method: 'POST',
      headers: admin,
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(/HEARTH_ADMIN_TOKEN/);
    expect(app).toBeDefined();
  });

  it('publishes the model with an ETag and answers 304 to If-None-Match', async () => {
    const { app } = await setupApp(4);
    const res = await app.request('/v1/model');
    const body = ModelsResponseSchema.parse(await res.json());
    expect(body.models[0]).toMatchObject({ name: 'collab', version: 0, length: 4 });
    const etag = res.headers.get('etag') ?? '';
    expect((await app.request('/v1/model', { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
  });

  it('serves a valid round config with the norm bound', async () => {
    const { app } = await setupApp(100, {}, { clipNorm: 2, noiseMultiplier: 0.5 });
    const round = RoundConfigSchema.parse(await (await app.request('/v1/round')).json());
    expect(round).toMatchObject({
      modelVersion: 0,
      length: 100,
      clipNorm: 2,
      noiseMultiplier: 0.5,
      minUpdates: 3,
    });
    expect(round.maxUpdateNorm).toBe(updateBounds(2, 0.5, 100).maxNorm);
  });
});

describe('server: updates', () => {
  it('accepts an update with 202 and aggregates FedAvg once k arrived', async () => {
    // Arrange
    const { app } = await setupApp(4);
    const updates = [
      [0.1, 0, 0, 0],
      [0, 0.2, 0, 0],
      [0, 0, 0.3, 0.3],
    ].map((v) => Float32Array.from(v));
    // Act
    const statuses = [];
    for (const u of updates) statuses.push((await postUpdate(app, frame(u))).status);
    // Assert
    expect(statuses).toEqual([202, 202, 202]);
    const models = ModelsResponseSchema.parse(await (await app.request('/v1/model')).json());
    expect(models.models[0]?.version).toBe(1);
    const raw = Buffer.from(models.models[0]?.data ?? '', 'base64');
    const params = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    expect(Array.from(params).map((x) => Number(x.toFixed(5)))).toEqual([
      0.03333, 0.06667, 0.1, 0.1,
    ]);
  });

  it('ignores a replayed update id (200 duplicate) and never counts it twice', async () => {
    const { app, storage } = await setupApp(4);
    const body = frame(Float32Array.of(0.1, 0, 0, 0), { id: 'replayed-id-0000001' });
    expect((await postUpdate(app, body)).status).toBe(202);
    const again = await postUpdate(app, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', pending: 1 });
    expect(storage.pendingCount('collab', 0)).toBe(1);
  });

  it('rejects a stale model version with 409', async () => {
    const { app } = await setupApp(4);
    const res = await postUpdate(app, frame(new Float32Array(4), { modelVersion: 7 }));
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('stale_version');
  });

  it('rejects wrong shape, NaN/Infinity, norms and values above the bounds with 400 and the reason', async () => {
    const { app } = await setupApp(4);
    const shape = await postUpdate(app, frame(new Float32Array(5)));
    expect((await errorOf(shape)).reasons?.join()).toMatch(/5 values, the model has 4/);
    const nan = await postUpdate(app, frame(Float32Array.of(0, Number.NaN, 0, 0)));
    expect((await errorOf(nan)).reasons?.join()).toMatch(/NaN or Infinity/);
    const inf = await postUpdate(
      app,
      frame(Float32Array.of(0, Number.POSITIVE_INFINITY, 0, 0), { encoding: 'q8' }),
    );
    expect((await errorOf(inf)).reasons?.join()).toMatch(/NaN or Infinity/);
    const big = await postUpdate(app, frame(Float32Array.of(3, 0, 0, 0)));
    expect(big.status).toBe(400);
    expect((await errorOf(big)).reasons?.join()).toMatch(/norm 3\.000 exceeds the bound 1\.022/);
    const spike = await postUpdate(app, frame(Float32Array.of(1.01, 0, 0, 0)));
    expect((await errorOf(spike)).reasons).toEqual([
      'update value 1.010 exceeds the per-value bound 1.000 for C = 1, z = 0, 4 values',
    ]);
  });

  it('rejects malformed frames, wrong content type and oversized bodies', async () => {
    const { app } = await setupApp(4);
    const junk = await postUpdate(app, new TextEncoder().encode('{"not":"a frame"}'));
    expect(junk.status).toBe(400);
    expect((await errorOf(junk)).reasons?.join()).toMatch(/HUPD/);
    const type = await postUpdate(app, frame(new Float32Array(4)), 'application/json');
    expect(type.status).toBe(415);
    const huge = await postUpdate(app, new Uint8Array(200_000));
    expect(huge.status).toBe(413);
    const badHeader = frame(new Float32Array(4), { id: 'short' });
    expect((await errorOf(await postUpdate(app, badHeader))).reasons?.join()).toMatch(/header\.id/);
  });
});

describe('server: telemetry and aggregates', () => {
  it('rejects malformed JSON, wrong content type, bad shapes and big bodies', async () => {
    const { app } = await setupApp();
    const post = (body: string, type = 'application/json') =>
      app.request('/v1/telemetry', { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('{oops')).status).toBe(400);
    expect((await errorOf(await post('{oops'))).code).toBe('bad_json');
    expect((await post('{}', 'text/plain')).status).toBe(415);
    const shape = await post(
      JSON.stringify({
        v: 2,
        kind: 'telemetry',
        mechanism: 'olh',
        epsilon: 2,
        reports: [[1.5, 2]],
      }),
    );
    expect(shape.status).toBe(400);
    expect((await errorOf(shape)).reasons?.length).toBeGreaterThan(0);
    const eps = await post(
      JSON.stringify({ v: 2, kind: 'telemetry', mechanism: 'olh', epsilon: 3, reports: [[1, 2]] }),
    );
    expect((await errorOf(eps)).reasons?.join()).toMatch(/per-report epsilon 2/);
    expect((await post('x'.repeat(70_000))).status).toBe(413);
  });

  it('stores reports and serves OLH estimates with 95% intervals over the catalog', async () => {
    // Arrange
    const { olhEncode, olhParams } = await import('../../src/privacy/olh.ts');
    const { seededRng } = await import('../../src/shared/rng.ts');
    const { app } = await setupApp();
    const items = Array.from({ length: 20 }, (_, i) => ({ id: `i${i}`, title: `Item ${i}` }));
    await app.request('/v1/admin/catalog', {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ version: 1, items }),
    });
    const rng = seededRng(9);
    const params = olhParams(2);
    const reports = Array.from({ length: 3000 }, (_, j) => {
      const r = olhEncode(j % 3 === 0 ? 'i0' : `i${1 + (j % 19)}`, params, rng);
      return [r.seed, r.value] as [number, number];
    });
    // Act
    for (let s = 0; s < reports.length; s += 500) {
      const res = await app.request('/v1/telemetry', telemetryInit(reports.slice(s, s + 500)));
      expect(res.status).toBe(202);
    }
    const agg = await (await app.request('/v1/aggregates?limit=5')).json();
    // Assert
    expect(agg.reports).toBe(3000);
    expect(agg.items[0].itemId).toBe('i0');
    expect(agg.items[0].ci95[0]).toBeLessThan(1000);
    expect(agg.items[0].ci95[1]).toBeGreaterThan(1000);
  });
});

describe('server: catalog', () => {
  it('serves full catalogs with ETag and deltas since a version', async () => {
    const { app } = await setupApp();
    const put = (items: object[]) =>
      app.request('/v1/admin/catalog', {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(items),
      });
    await put([
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B' },
    ]);
    await put([
      { id: 'a', title: 'A2' },
      { id: 'c', title: 'C' },
    ]);
    const full = await app.request('/v1/catalog');
    expect((await full.json()).items.map((i: { id: string }) => i.id)).toEqual(['a', 'c']);
    expect(
      (
        await app.request('/v1/catalog', {
          headers: { 'if-none-match': full.headers.get('etag') ?? '' },
        })
      ).status,
    ).toBe(304);
    const delta = await (await app.request('/v1/catalog?since=1')).json();
    expect(delta).toMatchObject({ version: '2', since: '1', deletions: ['b'] });
    expect(delta.upserts.map((i: { id: string }) => i.id)).toEqual(['a', 'c']);
  });
});

describe('server: CORS', () => {
  it('allows only the configured origins', async () => {
    const { app } = await setupApp(4, { corsOrigins: ['https://shop.example'] });
    const allowed = await app.request('/v1/round', { headers: { origin: 'https://shop.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const other = await app.request('/v1/round', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('server: abuse', () => {
  it('answers 429 with Retry-After when one connection floods', async () => {
    const { app } = await setupApp(4, { rateLimit: { perSecond: 1, burst: 5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await app.request('/v1/round')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await app.request('/v1/round');
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });
});
