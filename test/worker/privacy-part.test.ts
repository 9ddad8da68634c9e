import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { FEATURE_COUNT, featureIndex } from '../../src/engine/features.ts';
import type { RankerGroup } from '../../src/engine/ranker.ts';
import { flattenCollab } from '../../src/federated/params.ts';
import { learnableFeatures } from '../../src/federated/ranker-update.ts';
import { createCollabModel } from '../../src/models/collab-gradient.ts';
import { BudgetExceededError } from '../../src/privacy/errors.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { deleteAllHearthDatabases } from '../../src/store/schema.ts';
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

  it('takes the DAP estimate when the leader serves one (mechanism dap)', async () => {
    // Arrange: the released sum of a popularity task, as the DAP leader publishes it.
    const dap = {
      ...aggregates,
      mechanism: 'dap',
      epsilon: 1,
      taskId: 'A'.repeat(43),
      sigma: 4.5,
      delta: 1e-6,
    };
    const fetch = vi.fn(async () => Response.json(dap));
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    // Act
    const counts = await privacy.popularity();
    // Assert
    expect(counts).toEqual({ a: 120.5, b: 0 });
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

/** Two privacy parts (two tabs) over one database and one recording fetch. */
function twoTabs(name: string) {
  const sent: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(input), init });
    return new Response(null, { status: 202 });
  });
  const open = (seed: number) =>
    createWorkerPrivacy({
      server: 'http://127.0.0.1:9',
      dbName: name,
      fetch,
      rng: seededRng(seed),
    });
  const a = open(1);
  const b = open(2);
  const telemetrySent = () => sent.filter((s) => s.url.endsWith('/v1/telemetry'));
  return {
    a,
    b,
    sent,
    telemetrySent,
    close: () => {
      a.close();
      b.close();
    },
  };
}

describe('worker privacy: consent and "Forget me" reach every tab at once', () => {
  it('consent off in one tab refuses the next send of another tab', async () => {
    // Arrange: tab B turned consent on and queued three reports.
    const { a, b, telemetrySent, close } = twoTabs('hearth-tabs-consent-off');
    await b.setConsent(true);
    for (const id of ITEMS.slice(0, 3)) await b.report(id);
    // Act
    await a.setConsent(false);
    const count = await b.flush().catch(() => -1);
    // Assert
    expect(count).toBe(0);
    expect(telemetrySent()).toEqual([]);
    expect((await b.ledger()).consent).toBe(false);
    close();
  });

  it('drops the reports another tab queued when consent goes off, even if it comes back on', async () => {
    // Arrange
    const { a, b, telemetrySent, close } = twoTabs('hearth-tabs-queue');
    await b.setConsent(true);
    for (const id of ITEMS.slice(0, 3)) await b.report(id);
    expect(b.pending()).toBe(3);
    // Act: off in tab A (BroadcastChannel tells tab B), then on again.
    await a.setConsent(false);
    await vi.waitFor(() => expect(b.pending()).toBe(0));
    await a.setConsent(true);
    const count = await b.flush();
    // Assert
    expect(count).toBe(0);
    expect(telemetrySent()).toEqual([]);
    close();
  });

  it('after "Forget me" in one tab no tab sends anything until consent is given again', async () => {
    // Arrange
    const { a, b, telemetrySent, sent, close } = twoTabs('hearth-tabs-forget');
    await b.setConsent(true);
    for (const id of ITEMS.slice(0, 2)) await b.report(id);
    // Act: tab A's "Forget me" deletes every Hearth database, then tells the other tabs.
    await deleteAllHearthDatabases();
    await a.forgotten();
    // Assert: tab B sends nothing, whatever it tries.
    expect(await b.flush().catch(() => -1)).toBe(0);
    await b.report(ITEMS[2]!);
    expect(await b.flush().catch(() => -1)).toBe(0);
    expect(await b.train(async () => ({ collabItems: ITEMS }))).toEqual({
      kind: 'skipped',
      reason: 'sending is off (no consent)',
    });
    expect(await b.popularity()).toBeNull();
    expect(sent).toEqual([]);
    // Until the visitor gives consent again.
    await b.setConsent(true);
    await b.report(ITEMS[3]!);
    expect(await b.flush()).toBe(1);
    expect(telemetrySent()).toHaveLength(1);
    close();
  });

  it('two tabs each sending ε = 6 under a daily cap of 8 at the same time: exactly one goes out', async () => {
    // Arrange: three reports at ε = 2 queued in each tab.
    const { a, b, telemetrySent, close } = twoTabs('hearth-tabs-cap');
    await a.setConsent(true);
    for (const id of ITEMS.slice(0, 3)) {
      await a.report(id);
      await b.report(id);
    }
    // Act
    const results = await Promise.allSettled([a.flush(), b.flush()]);
    // Assert
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => r.value)).toEqual([3]);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(BudgetExceededError);
    expect(telemetrySent()).toHaveLength(1);
    expect((await a.ledger()).dailyEpsilon).toBe(6);
    close();
  });
});

describe('worker privacy: downloads through the gate', () => {
  it('records each download at ε 0 without consent and makes it anonymous', async () => {
    // Arrange
    const fetch = vi.fn(async (_input: string | URL | Request, _init?: RequestInit) =>
      Response.json({}),
    );
    const privacy = privacyWith(fetch);
    const download = privacy.download('ranker model (public file)');
    // Act
    await download('https://x/models/ranker/manifest.json', {
      headers: { accept: 'application/json' },
    });
    await download('https://x/models/ranker/ranker.onnx', { method: 'HEAD' });
    // Assert
    expect(fetch.mock.calls.map((c) => [String(c[0]), c[1]?.method])).toEqual([
      ['https://x/models/ranker/manifest.json', 'GET'],
      ['https://x/models/ranker/ranker.onnx', 'HEAD'],
    ]);
    for (const [, init] of fetch.mock.calls) {
      expect(init).toMatchObject({
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
      });
    }
    const ledger = await privacy.ledger();
    expect(ledger.consent).toBe(false);
    expect(ledger.rows.map((r) => [r.kind, r.url, r.epsilon])).toEqual([
      ['download', 'https://x/models/ranker/manifest.json', 0],
      ['download', 'https://x/models/ranker/ranker.onnx', 0],
    ]);
    privacy.close();
  });

  it('refuses to download with any method but GET or HEAD', async () => {
    const fetch = vi.fn(async () => Response.json({}));
    const privacy = privacyWith(fetch);
    await expect(
      privacy.download('x')('https://x/v1/telemetry', { method: 'POST' }),
    ).rejects.toThrow(/a download is a GET or HEAD of public data/);
    expect(fetch).not.toHaveBeenCalled();
    privacy.close();
  });
});
