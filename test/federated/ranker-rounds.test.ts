import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, featureIndex } from '../../src/engine/features.ts';
import type { RankerGroup } from '../../src/engine/ranker.ts';
import { createFederatedClient, FederatedProtocolError } from '../../src/federated/client.ts';
import {
  computeRankerDelta,
  expandRankerWeights,
  learnableFeatures,
  rankerColumns,
} from '../../src/federated/ranker-update.ts';
import { listwiseGradient } from '../../src/models/ranker-train.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { modelUploadBody } from '../../src/wire/model-upload.ts';

const TOKEN = 't';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const SIM_LONG = featureIndex('sim_long');
const SIM_PROMPT = featureIndex('sim_prompt');
const RAW = {
  mean: new Float64Array(FEATURE_COUNT),
  std: new Float64Array(FEATURE_COUNT).fill(1),
  learnable: FEATURE_NAMES.map(() => true),
};

/** Groups of 4 candidates with noise features; the picked one has the highest sim_long. */
function groups(n: number, seed: number): RankerGroup[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => {
    const features = new Float32Array(4 * FEATURE_COUNT).map(() => rng() - 0.5);
    const positive = Math.floor(rng() * 4);
    features[positive * FEATURE_COUNT + SIM_LONG] = 1;
    return { features, count: 4, positive };
  });
}

const TRAINED = learnableFeatures();
const LAYOUT = rankerColumns(TRAINED);

async function rankerServer(features: readonly string[] = TRAINED) {
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: TOKEN });
  const weights = new Float32Array(features.length);
  const put = await app.request('/v1/admin/model', {
    method: 'PUT',
    headers,
    body: JSON.stringify(
      modelUploadBody('ranker', weights, { kind: 'ranker', features: [...features] }),
    ),
  });
  expect(put.status).toBe(201);
  const round = await app.request('/v1/admin/round', {
    method: 'POST',
    headers,
    body: JSON.stringify({
      model: 'ranker',
      minUpdates: 2,
      clipNorm: 1,
      noiseMultiplier: 0.01,
      localSteps: 5,
      learningRate: 1,
    }),
  });
  expect(round.status).toBe(200);
  return { app, storage };
}

function visitor(app: ReturnType<typeof createApp>, seed: number) {
  const ledger = createLedger({
    storage: createMemoryLedgerStorage(),
    caps: { dailyEpsilon: 1e9, lifetimeEpsilon: 1e9 },
  });
  const gate = createPrivacyGate({
    ledger,
    consent: true,
    fetch: async (url, init) => app.request(url, init),
  });
  return createFederatedClient({ gate, baseUrl: 'http://hearth.test', rng: seededRng(seed) });
}

describe('listwise gradient', () => {
  it('matches finite differences of the loss', () => {
    const g = groups(5, 1);
    const w = Float64Array.from({ length: FEATURE_COUNT }, (_, k) => 0.3 * Math.sin(k + 1));
    const { grad } = listwiseGradient(g, w, RAW);
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const up = Float64Array.from(w);
      const down = Float64Array.from(w);
      up[k]! += 1e-5;
      down[k]! -= 1e-5;
      const numeric =
        (listwiseGradient(g, up, RAW).loss - listwiseGradient(g, down, RAW).loss) / 2e-5;
      expect(grad[k]).toBeCloseTo(numeric, 5);
    }
  });
});

describe('federated ranker: local update', () => {
  it('lowers the local loss and returns the delta of the trained weights only', () => {
    // Arrange
    const start = new Float32Array(TRAINED.length);
    const local = groups(3, 2);
    // Act
    const delta = computeRankerDelta(LAYOUT, start, local, { localSteps: 5, learningRate: 1 });
    // Assert
    expect(delta.length).toBe(TRAINED.length);
    expect(TRAINED).not.toContain('sim_prompt');
    const before = expandRankerWeights(LAYOUT, start);
    const after = expandRankerWeights(
      LAYOUT,
      Float32Array.from(start, (w, i) => w + delta[i]!),
    );
    const loss = (w: ArrayLike<number>) => listwiseGradient(local, w, RAW).loss;
    expect(loss(after)).toBeLessThan(loss(before));
    expect(delta[TRAINED.indexOf('sim_long')]).toBeGreaterThan(0);
    expect(after[SIM_PROMPT]).toBe(8);
    expect(Array.from(start)).toEqual(new Array(TRAINED.length).fill(0));
  });

  it('rejects a layout naming unknown or repeated features, and weights of the wrong length', () => {
    expect(() => rankerColumns(['sim_long', 'vibes'])).toThrow(/unknown: \[vibes\]/);
    expect(() => rankerColumns(['sim_long', 'sim_long'])).toThrow(/at most once/);
    expect(() =>
      computeRankerDelta(LAYOUT, new Float32Array(3), groups(1, 3), {
        localSteps: 1,
        learningRate: 1,
      }),
    ).toThrow(/3 weights/);
  });
});

describe('federated ranker: rounds', () => {
  it('trains the ranker when the round names it and leaves the collab model alone', async () => {
    // Arrange
    const { app, storage } = await rankerServer();
    // Act
    const a = await visitor(app, 1).participate({ rankerGroups: groups(2, 4) });
    const b = await visitor(app, 2).participate({ rankerGroups: groups(2, 5) });
    const onlyRows = await visitor(app, 3).participate({ collabItems: ['m0', 'm1', 'm2'] });
    // Assert
    expect(a).toMatchObject({ kind: 'uploaded', status: 202, modelVersion: 0 });
    expect(b).toMatchObject({ kind: 'uploaded', status: 202, modelVersion: 0 });
    expect(onlyRows).toEqual({ kind: 'skipped', reason: 'no local ranking example' });
    const model = storage.latestModel('ranker');
    expect(model?.version).toBe(1);
    expect(model?.params.length).toBe(TRAINED.length);
    expect(model?.params[TRAINED.indexOf('sim_long')]).toBeGreaterThan(0);
    expect(storage.latestVersion('collab')).toBeNull();
  });

  it('refuses a ranker naming a feature the engine lacks and uploads nothing', async () => {
    const { app, storage } = await rankerServer(['sim_long', 'mood']);
    await expect(
      visitor(app, 1).participate({ rankerGroups: groups(1, 6) }),
    ).rejects.toBeInstanceOf(FederatedProtocolError);
    expect(storage.pendingCount('ranker', 0)).toBe(0);
  });

  it('rejects a ranker upload whose length does not match its layout', async () => {
    const app = createApp({ storage: openServerStorage(':memory:'), adminToken: TOKEN });
    const res = await app.request('/v1/admin/model', {
      method: 'PUT',
      headers,
      body: JSON.stringify(
        modelUploadBody('ranker', new Float32Array(3), { kind: 'ranker', features: ['a', 'b'] }),
      ),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('ranker layout needs 2 values, got 3');
  });

  it('names the missing model when the round trains one that is not published', async () => {
    const app = createApp({ storage: openServerStorage(':memory:'), adminToken: TOKEN });
    await app.request('/v1/admin/round', {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'ranker' }),
    });
    const round = await app.request('/v1/round');
    expect(round.status).toBe(404);
  });

  it('serves a trained version only when the operator promotes it', async () => {
    // Arrange: one aggregated round, so the ranker is at version 1.
    const { app, storage } = await rankerServer();
    await visitor(app, 1).participate({ rankerGroups: groups(2, 4) });
    await visitor(app, 2).participate({ rankerGroups: groups(2, 5) });
    const promote = (body: object, auth = headers) =>
      app.request('/v1/admin/promote', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ v: 1, kind: 'promote', ...body }),
      });
    expect(storage.latestVersion('ranker.served')).toBeNull();
    // Act + Assert
    expect(
      (await promote({ name: 'ranker' }, { ...headers, authorization: 'Bearer x' })).status,
    ).toBe(401);
    expect((await promote({ name: 'nothing' })).status).toBe(404);
    const stale = await promote({ name: 'ranker', version: 0 });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('at version 1, not 0');
    const ok = await promote({ name: 'ranker', version: 1 });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ name: 'ranker.served', version: 0, from: 1 });
    expect(Array.from(storage.latestModel('ranker.served')?.params ?? [])).toEqual(
      Array.from(storage.latestModel('ranker')?.params ?? []),
    );
    const round = (await (await app.request('/v1/round')).json()) as { model: string };
    expect(round.model).toBe('ranker');
  });
});
