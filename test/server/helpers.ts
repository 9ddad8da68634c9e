import { type AppDeps, createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { encodeUpdateFrame } from '../../src/wire/update-codec.ts';

export const TOKEN = 'test-admin-token';
export const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** An in-memory app with a tiny model of `length` zeros published as version 0. */
export async function setupApp(
  length = 8,
  overrides: Partial<AppDeps> = {},
  round: Record<string, number> = {},
) {
  const storage = overrides.storage ?? openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: TOKEN, now: () => 1_000_000, ...overrides });
  const data = Buffer.from(new Float32Array(length).buffer).toString('base64');
  const put = await app.request('/v1/admin/model', {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify({
      v: 1,
      kind: 'model-upload',
      name: 'collab',
      encoding: 'f32-base64',
      data,
    }),
  });
  if (put.status !== 201) throw new Error(`model upload failed: ${put.status} ${await put.text()}`);
  const r = await app.request('/v1/admin/round', {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ clipNorm: 1, noiseMultiplier: 0, minUpdates: 3, ...round }),
  });
  if (r.status !== 200) throw new Error(`round config failed: ${r.status} ${await r.text()}`);
  return { app, storage };
}

let counter = 0;
/** A random-looking but deterministic update id. */
export function newId(): string {
  counter += 1;
  return `test-update-${String(counter).padStart(8, '0')}`;
}

/** Encodes an update frame for the given values. */
export function frame(
  values: Float32Array,
  options: { id?: string; modelVersion?: number; length?: number; encoding?: 'f32' | 'q8' } = {},
) {
  return encodeUpdateFrame(
    {
      v: 1,
      kind: 'update',
      id: options.id ?? newId(),
      model: 'collab',
      modelVersion: options.modelVersion ?? 0,
      length: options.length ?? values.length,
      encoding: options.encoding ?? 'f32',
    },
    values,
  );
}

/** POSTs an update frame. */
export function postUpdate(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  body: Uint8Array<ArrayBuffer>,
  type = 'application/octet-stream',
) {
  return app.request('/v1/updates', { method: 'POST', headers: { 'content-type': type }, body });
}
