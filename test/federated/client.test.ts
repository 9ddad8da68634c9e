import { describe, expect, it } from 'vitest';
import { createFederatedClient, type ModelCache } from '../../src/federated/client.ts';
import { computeLocalDelta } from '../../src/federated/local-update.ts';
import { collabParamCount, flattenCollab } from '../../src/federated/params.ts';
import { privatizeUpdate, updateRho } from '../../src/federated/privatize.ts';
import { createCollabModel } from '../../src/models/collab-gradient.ts';
import { l2Norm } from '../../src/privacy/clip.ts';
import { BudgetExceededError, ConsentRequiredError } from '../../src/privacy/errors.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';

const TOKEN = 't';
const itemIds = Array.from({ length: 10 }, (_, i) => `m${i}`);
const gradient = { decay: 0.9, longTermWeight: 0.01, negatives: 4, maxPositions: 8, l2: 0 };

async function server(round: object) {
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: TOKEN });
  const model = createCollabModel(itemIds, 4, seededRng(1));
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  await app.request('/v1/admin/model', {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      v: 1,
      kind: 'model-upload',
      name: 'collab',
      encoding: 'f32-base64',
      data: Buffer.from(flattenCollab(model).buffer).toString('base64'),
      layout: { kind: 'collab', itemIds, dims: 4 },
    }),
  });
  await app.request('/v1/admin/round', { method: 'POST', headers, body: JSON.stringify(round) });
  return { app, storage, model };
}

function client(
  app: { request: (u: string, i: RequestInit) => Response | Promise<Response> },
  seed: number,
  options: { consent?: boolean; lifetimeEpsilon?: number; cache?: ModelCache } = {},
) {
  const ledger = createLedger({
    storage: createMemoryLedgerStorage(),
    caps: { dailyEpsilon: 1e9, lifetimeEpsilon: options.lifetimeEpsilon ?? 1e9 },
  });
  const gate = createPrivacyGate({
    ledger,
    consent: options.consent ?? true,
    fetch: async (url, init) => app.request(url, init),
  });
  return {
    ledger,
    fed: createFederatedClient({
      gate,
      baseUrl: 'http://hearth.test',
      rng: seededRng(seed),
      gradient,
      modelCache: options.cache,
    }),
  };
}

describe('federated client', () => {
  it('computes a local delta of the model size without mutating the model', () => {
    const model = createCollabModel(itemIds, 4, seededRng(2));
    const before = flattenCollab(model);
    const delta = computeLocalDelta(
      model,
      [1, 2, 3, 4],
      { localSteps: 2, learningRate: 0.5, gradient },
      seededRng(3),
    );
    expect(delta.length).toBe(collabParamCount(10, 4));
    expect(l2Norm(delta)).toBeGreaterThan(0);
    expect(Array.from(flattenCollab(model))).toEqual(Array.from(before));
  });

  it('clips to C before noise and accounts rho = 2 / z^2', () => {
    const noisy = privatizeUpdate(new Float32Array(1000).fill(1), 1, 0, seededRng(1));
    expect(l2Norm(noisy)).toBeLessThanOrEqual(1);
    expect(updateRho(2)).toBe(0.5);
  });

  it('runs a round end to end: two clients upload, the server aggregates, the ledger records rho', async () => {
    // Arrange
    const { app, storage } = await server({ minUpdates: 2, clipNorm: 0.5, noiseMultiplier: 1 });
    const a = client(app, 10);
    const b = client(app, 11);
    // Act
    const outA = await a.fed.participate({ collabItems: ['m0', 'm1', 'm2', 'm3'] });
    const outB = await b.fed.participate({ collabItems: ['m4', 'm5', 'm6'] });
    // Assert
    expect(outA).toMatchObject({ kind: 'uploaded', status: 202, modelVersion: 0, rho: 2 });
    expect(outB.kind).toBe('uploaded');
    expect(storage.latestModel('collab')?.version).toBe(1);
    const rows = await a.ledger.entries();
    expect(rows.map((r) => r.kind)).toEqual(['request', 'request', 'update']);
    expect(rows[2]?.rho).toBe(2);
    expect(rows[2]?.bytes).toBeGreaterThan(collabParamCount(10, 4));
  });

  it('sends nothing without consent and nothing once the cap would be exceeded', async () => {
    const { app, storage } = await server({ minUpdates: 5, clipNorm: 0.5, noiseMultiplier: 1 });
    await expect(
      client(app, 1, { consent: false }).fed.participate({ collabItems: ['m0', 'm1', 'm2'] }),
    ).rejects.toBeInstanceOf(ConsentRequiredError);
    await expect(
      client(app, 2, { lifetimeEpsilon: 1 }).fed.participate({ collabItems: ['m0', 'm1', 'm2'] }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(storage.pendingCount('collab', 0)).toBe(0);
  });
});
