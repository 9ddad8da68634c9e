/**
 * Small private item-item models (`cooccurrence`) made by the test itself: as the admin upload a
 * collector would store, and as the engine's decoded model. No popularity kernel: the scores come
 * from the listed pairs alone, so a test decides which item follows which.
 */
import {
  type CooccurrenceModel,
  createCooccurrenceModel,
} from '../../../src/engine/cooccurrence-model.ts';
import type { CooccurrenceLayout } from '../../../src/protocol/cooccurrence.ts';
import type { ModelUpload } from '../../../src/protocol/model.ts';
import { createApp } from '../../../src/server/app.ts';
import { openServerStorage } from '../../../src/server/storage.ts';
import { modelUploadBody } from '../../../src/wire/model-upload.ts';

/** A released pair `[a, b]` of item ids and its count. */
export type TestPair = readonly [string, string, number];

/** The layout and flat vector of a model over `itemIds` with popularity 1 each and `pairs`. */
export function cooccurrenceParts(
  itemIds: readonly string[],
  pairs: readonly TestPair[],
): { layout: CooccurrenceLayout; params: Float32Array } {
  const row = (id: string) => {
    const r = itemIds.indexOf(id);
    if (r < 0) throw new Error(`no item ${id}`);
    return r;
  };
  const n = itemIds.length;
  const m = pairs.length;
  const params = new Float32Array(n + 3 * m).fill(1, 0, n);
  pairs.forEach(([a, b, t], e) => {
    params[n + e] = row(a);
    params[n + m + e] = row(b);
    params[n + 2 * m + e] = t;
  });
  const layout: CooccurrenceLayout = {
    kind: 'cooccurrence',
    format: 1,
    itemIds: [...itemIds],
    kernel: { kind: 'none' },
    pairs: { count: m, mix: 1, alpha: 0, beta: 0, floor: 1, scale: 1 },
    sources: [
      { taskId: 'test-histogram', kind: 'item-histogram', reports: 100, rho: 0.1, sigma: 2 },
    ],
    epsilon: 1,
    delta: 1e-6,
  };
  return { layout, params };
}

/** The admin upload (`PUT /v1/admin/model`) of such a model under `name`. */
export function cooccurrenceUpload(
  itemIds: readonly string[],
  pairs: readonly TestPair[],
  name = 'cooccurrence',
): ModelUpload {
  const { layout, params } = cooccurrenceParts(itemIds, pairs);
  return modelUploadBody(name, params, layout);
}

/** The same model as the engine scores with it. */
export function cooccurrenceModel(
  itemIds: readonly string[],
  pairs: readonly TestPair[],
  version = 'test',
): CooccurrenceModel {
  const n = itemIds.length;
  return createCooccurrenceModel({
    version,
    itemIds,
    popularity: new Float32Array(n).fill(1),
    kernel: { kind: 'none' },
    pairs: {
      first: pairs.map(([a]) => itemIds.indexOf(a)),
      second: pairs.map(([, b]) => itemIds.indexOf(b)),
      counts: pairs.map(([, , t]) => t),
      mix: 1,
      alpha: 0,
      beta: 0,
      floor: 1,
      scale: 1,
    },
  });
}

/**
 * A thin server (single-server mode) publishing `cooccurrence` v0 with `served` pairs, promoted to
 * `cooccurrence.served` v0 (an override: no evaluation exists there), then v1 with `candidate`
 * pairs; `fallback` answers a client's URLs on it. With `served` null nothing is promoted and the
 * candidate is v0.
 */
export async function cooccurrenceServer(
  itemIds: readonly string[],
  served: readonly TestPair[] | null,
  candidate: readonly TestPair[],
) {
  const token = 't'.repeat(32);
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: token });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const put = async (pairs: readonly TestPair[]) => {
    const res = await app.request('/v1/admin/model', {
      method: 'PUT',
      headers,
      body: JSON.stringify(cooccurrenceUpload(itemIds, pairs)),
    });
    if (res.status !== 201) throw new Error(`upload failed: ${await res.text()}`);
  };
  if (served !== null) {
    await put(served);
    const promoted = await app.request('/v1/admin/promote', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        v: 1,
        kind: 'promote',
        name: 'cooccurrence',
        override: true,
        reason: 'the test serves a first model without an evaluation',
      }),
    });
    if (promoted.status !== 201) throw new Error(`promote failed: ${await promoted.text()}`);
  }
  await put(candidate);
  return {
    app,
    storage,
    fallback: async (url: string, init: RequestInit) =>
      app.request(new URL(url).pathname + new URL(url).search, init),
  };
}
