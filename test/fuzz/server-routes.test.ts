/**
 * Fuzzing every route of the thin server that reads a body or a query, in memory through
 * `createApp(...).request()`: random JSON, mutated valid bodies, malformed text, wrong content
 * types, random frames and query strings. Whatever comes in, the answer is never a 500: a 2xx, or
 * a 4xx with the protocol's error body whose message or reasons say what was wrong and where.
 * Each case runs under fast-check's timeout plugin (2 s). Valid generated bodies round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorBodySchema, ModelsResponseSchema } from '../../src/protocol/index.ts';
import type { UpdateHeader } from '../../src/protocol/update.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { encodeUpdateFrame } from '../../src/wire/update-codec.ts';
import {
  FUZZ_TIMEOUT_MS,
  fuzzParams,
  hostileJson,
  hostileString,
  mutateBytes,
  mutateObject,
  mutateText,
} from './helpers.ts';

const TOKEN = 'fuzz-admin-token-with-more-than-32-characters';
const MODEL_LENGTH = 6;

/** An app with a published 6-value model, an open round and a small catalog. */
async function fuzzApp() {
  const errors: unknown[] = [];
  const app = createApp({
    storage: openServerStorage(':memory:'),
    adminToken: TOKEN,
    now: () => 1_000_000,
    // The fuzz sends 10,000 requests per route from one in-process "connection".
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    onError: (error) => errors.push(error),
  });
  const data = Buffer.from(new Float32Array(MODEL_LENGTH).buffer).toString('base64');
  const setup: [string, string, unknown][] = [
    [
      'PUT',
      '/v1/admin/model',
      { v: 1, kind: 'model-upload', name: 'collab', encoding: 'f32-base64', data },
    ],
    ['POST', '/v1/admin/round', { clipNorm: 1, noiseMultiplier: 0, minUpdates: 1000 }],
    [
      'PUT',
      '/v1/admin/catalog',
      [
        { id: 'a', title: 'A' },
        { id: 'b', title: 'B' },
      ],
    ],
  ];
  for (const [method, path, body] of setup) {
    const res = await app.request(path, { method, headers: adminJson, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`fuzz setup ${path}: ${res.status} ${await res.text()}`);
  }
  return { app, errors };
}

const adminJson = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** What every answer must be: below 500, and a 4xx carries the protocol's error body. */
async function expectCleanAnswer(res: Response, errors: readonly unknown[]): Promise<void> {
  expect(errors).toEqual([]);
  expect(res.status).toBeLessThan(500);
  if (res.status < 400) return;
  const { error } = ErrorBodySchema.parse(await res.json());
  expect(error.message.length).toBeGreaterThan(0);
  if (error.code === 'bad_json') expect(error.message).toMatch(/at line \d+, column \d+/);
  // A rejected body says which body or field failed ("catalog rejected", "model data is …").
  if (error.code === 'invalid') expect(error.message).toMatch(/rejected|model data|body nests/);
}

/** Content types a client might send (mostly JSON, so the body gets parsed). */
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/octet-stream',
      '',
      'application/JSON; charset=utf-8',
    ),
  },
);

/**
 * Bodies for a JSON route: random JSON, the valid body with fields dropped/replaced/added, its
 * text mutated, or something deeply nested (JSON.parse accepts any depth, JSON.stringify does not).
 */
function jsonBodies(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileJson(3).map((v) => JSON.stringify(v) ?? '') },
    { weight: 4, arbitrary: valid.chain(mutateObject).map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: valid.chain((v) => mutateText(JSON.stringify(v))) },
    { weight: 1, arbitrary: valid.map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 10, max: 50_000 })
        .map((depth) => `[{"id":"d","title":"D","x":${'['.repeat(depth)}${']'.repeat(depth)}}]`),
    },
  );
}

/** Sends `body` to a JSON route `runs` times with random content types; checks every answer. */
async function fuzzJsonRoute(
  method: string,
  path: string,
  valid: fc.Arbitrary<Record<string, unknown>>,
  seed: number,
): Promise<void> {
  const { app, errors } = await fuzzApp();
  await fc.assert(
    fc.asyncProperty(jsonBodies(valid), contentType, async (body, type) => {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
        body,
      });
      await expectCleanAnswer(res, errors);
    }),
    { ...fuzzParams(seed), plugins: [fc.timeout(2000)] },
  );
}

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

const catalogBody = fc.record({
  version: fc.oneof(fc.nat(), word),
  items: fc.uniqueArray(
    fc.record({
      id: word,
      title: word,
      price: fc.nat(100),
      tags: fc.array(word, { maxLength: 2 }),
    }),
    { maxLength: 4, selector: (item) => item.id },
  ),
});

const float32Base64 = (n: number) =>
  fc
    .float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true })
    .map((values) => Buffer.from(values.buffer).toString('base64'));

const modelUpload = fc.oneof(
  float32Base64(MODEL_LENGTH).map((data) => ({
    v: 1,
    kind: 'model-upload',
    name: 'collab',
    encoding: 'f32-base64',
    data,
  })),
  fc.uniqueArray(word, { minLength: 1, maxLength: 3 }).chain((features) =>
    float32Base64(features.length).map((data) => ({
      v: 1,
      kind: 'model-upload',
      name: 'ranker',
      encoding: 'f32-base64',
      data,
      layout: { kind: 'ranker', features },
    })),
  ),
);

const promote = fc.record(
  {
    v: fc.constant(1),
    kind: fc.constant('promote'),
    name: fc.constantFrom('collab', 'ranker', 'x'),
    version: fc.nat(3),
  },
  { requiredKeys: ['v', 'kind', 'name'] },
);

const roundSettings = fc.record(
  {
    model: fc.constantFrom('collab', 'ranker'),
    clipNorm: fc.double({ min: 0.01, max: 10, noNaN: true }),
    noiseMultiplier: fc.double({ min: 0, max: 10, noNaN: true }),
    minUpdates: fc.integer({ min: 1, max: 1000 }),
    roundDurationMs: fc.integer({ min: 1, max: 1e9 }),
    localSteps: fc.integer({ min: 1, max: 100 }),
    learningRate: fc.double({ min: 1e-4, max: 1, noNaN: true }),
  },
  { requiredKeys: [] },
);

const telemetryBatch = fc.record({
  v: fc.constant(2),
  kind: fc.constant('telemetry'),
  mechanism: fc.constant('olh'),
  epsilon: fc.constant(2),
  reports: fc.array(fc.tuple(fc.nat({ max: 4294967295 }), fc.nat(8)), {
    minLength: 1,
    maxLength: 20,
  }),
});

describe('fuzz: server routes answer 2xx or a typed 4xx, never a 500', {
  timeout: FUZZ_TIMEOUT_MS,
}, () => {
  it('PUT /v1/admin/catalog (10,000 cases)', async () => {
    await fuzzJsonRoute('PUT', '/v1/admin/catalog', catalogBody, 401);
  });

  it('PUT /v1/admin/model (10,000 cases)', async () => {
    await fuzzJsonRoute('PUT', '/v1/admin/model', modelUpload, 402);
  });

  it('POST /v1/admin/promote (10,000 cases)', async () => {
    await fuzzJsonRoute('POST', '/v1/admin/promote', promote, 403);
  });

  it('POST /v1/admin/round (10,000 cases)', async () => {
    await fuzzJsonRoute('POST', '/v1/admin/round', roundSettings, 404);
  });

  it('POST /v1/telemetry (10,000 cases)', async () => {
    await fuzzJsonRoute('POST', '/v1/telemetry', telemetryBatch, 405);
  });

  it('POST /v1/updates with random and mutated frames (10,000 cases)', async () => {
    const { app, errors } = await fuzzApp();
    const header: fc.Arbitrary<UpdateHeader> = fc.record({
      v: fc.constant(1 as const),
      kind: fc.constant('update' as const),
      id: fc.stringMatching(/^[A-Za-z0-9_-]{16,24}$/),
      model: fc.constantFrom('collab', 'ranker'),
      modelVersion: fc.nat(2),
      length: fc.constantFrom(MODEL_LENGTH, 1, 7),
      encoding: fc.constantFrom('f32' as const, 'q8' as const),
    });
    const frame = header.chain((h) =>
      fc
        .float32Array({ minLength: h.length, maxLength: h.length })
        .map((values) => encodeUpdateFrame(h, values)),
    );
    const body = fc.oneof(fc.uint8Array({ maxLength: 120 }), frame, frame.chain(mutateBytes));
    const type = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/octet-stream') },
      { weight: 1, arbitrary: fc.constantFrom('application/json', '', 'text/plain') },
    );
    await fc.assert(
      fc.asyncProperty(body, type, async (bytes, contentType) => {
        const res = await app.request('/v1/updates', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: bytes as Uint8Array<ArrayBuffer>,
        });
        await expectCleanAnswer(res, errors);
      }),
      { ...fuzzParams(406), plugins: [fc.timeout(2000)] },
    );
  });

  it('GET routes with random query parameters (10,000 cases)', async () => {
    const { app, errors } = await fuzzApp();
    // Raw query text, percent-escapes included (well-formed or not), plus encoded hostile strings.
    const rawQuery = fc.oneof(
      fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '%ED%A0%80',
        '%00',
        '&',
        '=',
        '==',
        '+',
        '-1',
        '1e400',
        '0x10',
        '9'.repeat(30),
      ),
      fc.stringMatching(/^[A-Za-z0-9%=&._~+-]{0,20}$/),
      // Content hashes, the form the client's catalog sync sends as `since`.
      fc.stringMatching(/^[0-9a-f]{63,65}$/),
      hostileString.map((s) =>
        Array.from(new TextEncoder().encode(s), (b) => `%${b.toString(16).padStart(2, '0')}`).join(
          '',
        ),
      ),
    );
    const request = fc.tuple(
      fc.constantFrom('/v1/catalog', '/v1/model', '/v1/aggregates', '/v1/round'),
      fc.constantFrom('since', 'name', 'limit', 'x'),
      rawQuery,
      fc.option(
        hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        { nil: undefined },
      ),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([path, key, value, ifNoneMatch]) => {
        const headers: Record<string, string> =
          ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch };
        const res = await app.request(`${path}?${key}=${value}`, { headers });
        await expectCleanAnswer(res, errors);
      }),
      { ...fuzzParams(407), plugins: [fc.timeout(2000)] },
    );
  });
});

describe('fuzz: valid bodies round-trip through the server', { timeout: FUZZ_TIMEOUT_MS }, () => {
  // 2,000 cases: four requests each; every route's own property above runs 10,000.
  it('serves back exactly the catalog and the model an operator uploaded (2,000 cases)', async () => {
    // Every upload adds a model version and tombstones: a fresh app every 100 cases keeps the
    // database (and each request's cost) small.
    let fresh = await fuzzApp();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(catalogBody, modelUpload, async (catalog, model) => {
        // Arrange
        cases += 1;
        if (cases % 100 === 0) fresh = await fuzzApp();
        const { app, errors } = fresh;
        // Act
        const put = await app.request('/v1/admin/catalog', {
          method: 'PUT',
          headers: adminJson,
          body: JSON.stringify(catalog),
        });
        const upload = await app.request('/v1/admin/model', {
          method: 'PUT',
          headers: adminJson,
          body: JSON.stringify(model),
        });
        const served = await (await app.request('/v1/catalog')).json();
        const models = ModelsResponseSchema.parse(
          await (await app.request(`/v1/model?name=${model.name}`)).json(),
        );
        // Assert
        expect(errors).toEqual([]);
        expect(put.status).toBe(200);
        expect(upload.status).toBe(201);
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
        expect([...served.items].sort(byId)).toEqual([...catalog.items].sort(byId));
        expect(models.models[0]?.data).toBe(model.data);
      }),
      { ...fuzzParams(408, 2000), plugins: [fc.timeout(2000)] },
    );
  });
});

describe('server bugs found by fuzzing', () => {
  it('answers GET /v1/catalog?since=% with the full catalog, not a 500 (the raw query went into the ETag header)', async () => {
    // Arrange
    const { app, errors } = await fuzzApp();
    // Act
    const res = await app.request('/v1/catalog?since=%');
    // Assert
    expect(errors).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toContain('%');
  });

  it('refuses a catalog nested 5,000 deep with a 400 naming line and column, not a 500 (JSON.stringify overflowed)', async () => {
    // Arrange
    const { app, errors } = await fuzzApp();
    const body = `[{"id":"d","title":"D","x":${'['.repeat(5000)}${']'.repeat(5000)}}]`;
    // Act
    const res = await app.request('/v1/admin/catalog', { method: 'PUT', headers: adminJson, body });
    // Assert
    expect(errors).toEqual([]);
    expect(res.status).toBe(400);
    expect(ErrorBodySchema.parse(await res.json()).error.message).toBe(
      'body nests deeper than 64 levels at line 1, column 90; flatten it.',
    );
  });

  it('says where a body is not JSON even when V8 gives no position', async () => {
    // Arrange
    const { app } = await fuzzApp();
    // Act: V8 says only "Unexpected token 'x', … is not valid JSON" here.
    const res = await app.request('/v1/telemetry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"v":2,\n "kind": x}',
    });
    // Assert
    expect(res.status).toBe(400);
    expect(ErrorBodySchema.parse(await res.json()).error.message).toMatch(
      /^body is not valid JSON at line 2, column 10: Unexpected token 'x'/,
    );
  });
});
