/**
 * `GET /v1/model?name=&version=`: one stored version of a model, not only the latest (a device
 * downloads the candidate a federated evaluation names this way); the query is schema-checked.
 */
import { describe, expect, it } from 'vitest';
import { ModelsResponseSchema } from '../../src/protocol/model.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { modelUploadBody } from '../../src/wire/model-upload.ts';

const TOKEN = 'model-version-admin-token-0123456789abc';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const layout = { kind: 'ranker' as const, features: ['f0', 'f1'] };

/** A server holding `ranker` v0 = [0, 0], v1 = [1, 1], v2 = [2, 2]. */
async function server() {
  const app = createApp({ storage: openServerStorage(':memory:'), adminToken: TOKEN });
  for (const v of [0, 1, 2]) {
    const res = await app.request('/v1/admin/model', {
      method: 'PUT',
      headers,
      body: JSON.stringify(modelUploadBody('ranker', Float32Array.of(v, v), layout)),
    });
    expect(res.status).toBe(201);
  }
  return app;
}

/** The f32 values of an entry's base64 data (copied: Buffer.from may slice a shared pool). */
const valuesOf = (data: string) =>
  Array.from(new Float32Array(Uint8Array.from(Buffer.from(data, 'base64')).buffer));

describe('GET /v1/model?name=&version=', () => {
  it('answers one older stored version with its layout and an ETag of its name and version', async () => {
    // Arrange
    const app = await server();
    // Act
    const res = await app.request('/v1/model?name=ranker&version=1');
    const again = await app.request('/v1/model?name=ranker&version=1', {
      headers: { 'if-none-match': '"m-ranker.1"' },
    });
    // Assert
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"m-ranker.1"');
    const body = ModelsResponseSchema.parse(await res.json());
    expect(body.models).toHaveLength(1);
    expect(body.models[0]).toMatchObject({ name: 'ranker', version: 1, length: 2, layout });
    expect(valuesOf(body.models[0]?.data ?? '')).toEqual([1, 1]);
    expect(again.status).toBe(304);
  });

  it('answers the latest version the same way as the plain listing', async () => {
    // Arrange
    const app = await server();
    // Act
    const one = ModelsResponseSchema.parse(
      await (await app.request('/v1/model?name=ranker&version=2')).json(),
    );
    const latest = ModelsResponseSchema.parse(
      await (await app.request('/v1/model?name=ranker')).json(),
    );
    // Assert
    expect(one.models).toEqual(latest.models);
  });

  it('answers 404 naming the latest version for a version the server does not keep', async () => {
    // Arrange
    const app = await server();
    // Act
    const res = await app.request('/v1/model?name=ranker&version=7');
    const none = await app.request('/v1/model?name=nothing&version=0');
    // Assert
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "model 'ranker' has no stored version 7 (latest: 2); ask for a version the server keeps.",
    );
    expect(none.status).toBe(404);
  });

  it('refuses a version that is not a non-negative integer, or one without a model name (400)', async () => {
    // Arrange
    const app = await server();
    // Act
    const answers = await Promise.all(
      [
        '/v1/model?name=ranker&version=-1',
        '/v1/model?name=ranker&version=1.5',
        '/v1/model?name=ranker&version=01',
        '/v1/model?name=ranker&version=',
        '/v1/model?name=ranker&version=9999999999',
        '/v1/model?version=1',
      ].map(async (url) => ({ url, res: await app.request(url) })),
    );
    // Assert
    for (const { url, res } of answers) {
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, url).toBe('invalid');
    }
  });
});

describe('PUT /v1/admin/model', () => {
  it('refuses a model named <name>.served: what devices use is written only by a promotion', async () => {
    // Arrange
    const app = createApp({ storage: openServerStorage(':memory:'), adminToken: TOKEN });
    // Act
    const res = await app.request('/v1/admin/model', {
      method: 'PUT',
      headers,
      body: JSON.stringify(modelUploadBody('cooccurrence.served', Float32Array.of(1, 1), layout)),
    });
    const listed = ModelsResponseSchema.parse(await (await app.request('/v1/model')).json());
    // Assert
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('POST /v1/admin/promote');
    expect(listed.models).toEqual([]);
  });
});
