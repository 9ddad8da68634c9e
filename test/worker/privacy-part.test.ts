import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { FEATURE_COUNT, featureIndex } from '../../src/engine/features.ts';
import type { RankerGroup } from '../../src/engine/ranker.ts';
import { flattenCollab } from '../../src/federated/params.ts';
import { learnableFeatures } from '../../src/federated/ranker-update.ts';
import { createCollabModel } from '../../src/models/collab-gradient.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { modelUploadBody } from '../../src/wire/model-upload.ts';
import { createWorkerPrivacy } from '../../src/worker/privacy-part.ts';

const aggregates = {
  v: 1,
  kind: 'aggregates',
  mechanism: 'olh',
  epsilon: 2,
  reports: 1000,
  items: [
    { itemId: 'a', count: 120.5, variance: 40, ci95: [108, 133] },
    { itemId: 'b', count: -7.2, variance: 40, ci95: [-19, 5] },
  ],
};

function fakeFetch() {
  return vi.fn(async (_input: string | URL | Request, _init?: RequestInit) =>
    Response.json(aggregates),
  );
}

let dbCounter = 0;
/** The privacy part over a fake server answer, in a database of its own. */
function privacyWith(fetch: typeof globalThis.fetch, server = 'http://127.0.0.1:9') {
  dbCounter += 1;
  return createWorkerPrivacy({
    server,
    dbName: `hearth-test-pop-${dbCounter}`,
    fetch,
    rng: seededRng(1),
  });
}

describe('worker privacy: popularity prior from /v1/aggregates', () => {
  it('downloads nothing without consent', async () => {
    const fetch = fakeFetch();
    const privacy = privacyWith(fetch, 'http://127.0.0.1:9/');
    expect(await privacy.popularity()).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('with consent, returns non-negative counts and records the download in the ledger', async () => {
    const fetch = fakeFetch();
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    const counts = await privacy.popularity();
    expect(counts).toEqual({ a: 120.5, b: 0 });
    expect(String(fetch.mock.calls[0]![0])).toBe('http://127.0.0.1:9/v1/aggregates?limit=500');
    const ledger = await privacy.ledger();
    expect(
      ledger.rows.some((r) => r.url?.endsWith('/v1/aggregates?limit=500') && r.epsilon === 0),
    ).toBe(true);
  });

  it('returns null when the server answers something that is not an aggregates body', async () => {
    const fetch = vi.fn(async () => Response.json({ nope: true }));
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    expect(await privacy.popularity()).toBeNull();
  });
});

const ADMIN = { authorization: 'Bearer t', 'content-type': 'application/json' };
const ITEMS = ['secret-item-alpha', 'secret-item-beta', 'secret-item-gamma', 'secret-item-delta'];

/** A real in-memory server training `model`, and a fetch that records every request body. */
async function roundServer(model: 'collab' | 'ranker') {
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: 't' });
  const upload =
    model === 'collab'
      ? modelUploadBody('collab', flattenCollab(createCollabModel(ITEMS, 4, seededRng(1))), {
          kind: 'collab',
          itemIds: ITEMS,
          dims: 4,
        })
      : modelUploadBody('ranker', new Float32Array(learnableFeatures().length), {
          kind: 'ranker',
          features: learnableFeatures(),
        });
  await app.request('/v1/admin/model', {
    method: 'PUT',
    headers: ADMIN,
    body: JSON.stringify(upload),
  });
  await app.request('/v1/admin/round', {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ model, minUpdates: 1, clipNorm: 0.5, noiseMultiplier: 4 }),
  });
  const bodies: string[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const body = init?.body;
    if (body instanceof Uint8Array) bodies.push(Buffer.from(body).toString('latin1'));
    else if (typeof body === 'string') bodies.push(body);
    return app.request(String(input), init);
  });
  return { storage, fetch, bodies };
}

/** One ranking example whose picked candidate has the highest sim_long. */
function example(): RankerGroup {
  const features = new Float32Array(3 * FEATURE_COUNT);
  features[featureIndex('sim_long')] = 1;
  return { features, count: 3, positive: 0 };
}

describe('worker privacy: federated rounds', () => {
  it('sends nothing without consent and does not even build the training data', async () => {
    const { fetch } = await roundServer('collab');
    const privacy = privacyWith(fetch);
    const local = vi.fn(async () => ({ collabItems: ITEMS }));
    expect(await privacy.train(local)).toEqual({
      kind: 'skipped',
      reason: 'sending is off (no consent)',
    });
    expect(local).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('with consent, trains the collab model; no item id reaches fetch and the ledger records rho', async () => {
    // Arrange
    const { storage, fetch, bodies } = await roundServer('collab');
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    // Act
    const out = await privacy.train(async () => ({ collabItems: ITEMS }));
    // Assert
    expect(out).toMatchObject({ kind: 'uploaded', model: 'collab' });
    expect(storage.latestVersion('collab')).toBe(1);
    for (const url of fetch.mock.calls.map((c) => String(c[0])))
      for (const id of ITEMS) expect(url).not.toContain(id);
    for (const body of bodies) for (const id of ITEMS) expect(body).not.toContain(id);
    const ledger = await privacy.ledger();
    const update = ledger.rows.find((r) => r.kind === 'update');
    expect(update?.epsilon).toBeGreaterThan(0);
    expect(ledger.lifetimeEpsilon).toBeGreaterThan(0);
  });

  it('trains the ranker when the round names it', async () => {
    const { storage, fetch } = await roundServer('ranker');
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    const out = await privacy.train(async () => ({
      collabItems: ITEMS,
      rankerGroups: [example()],
    }));
    expect(out).toMatchObject({ kind: 'uploaded', model: 'ranker' });
    expect(storage.latestVersion('ranker')).toBe(1);
  });

  it('reports a refusal instead of throwing when the round is unknown to the server', async () => {
    const fetch = vi.fn(async () => new Response('no', { status: 404 }));
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    const out = await privacy.train(async () => ({ collabItems: ITEMS }));
    expect(out.kind).toBe('skipped');
  });

  it('downloads the promoted ranker as engine weights with consent, and nothing without', async () => {
    // Arrange: a ranker round server whose version 0 the operator promotes.
    const { storage, fetch } = await roundServer('ranker');
    const off = privacyWith(fetch);
    expect(await off.servedRanker()).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
    const on = privacyWith(fetch);
    await on.setConsent(true);
    expect(await on.servedRanker()).toBeNull(); // nothing promoted yet
    const trained = storage.latestModel('ranker')!;
    storage.insertModel({ ...trained, name: 'ranker.served', version: 0, state: [] });
    // Act
    const served = await on.servedRanker();
    // Assert: every trained weight in place, the prompt weight at its fixed 8.
    expect(served?.version).toBe(0);
    expect(served?.weights.length).toBe(FEATURE_COUNT);
    expect(served?.weights[featureIndex('sim_prompt')]).toBe(8);
    expect(served?.weights[featureIndex('sim_long')]).toBe(0);
  });
});
