/**
 * The worker's download of the served private item-item model, through the privacy gate and a real
 * in-memory thin server: nothing is requested without consent; with consent the promoted model is
 * decoded and the download is in the ledger at ε 0; a missing, failing or damaged model gives null,
 * so the engine keeps what it had.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import {
  COOCCURRENCE_DOWNLOAD_SUMMARY,
  loadServedCooccurrence,
} from '../../src/worker/cooccurrence-loader.ts';
import { createWorkerPrivacy } from '../../src/worker/privacy-part.ts';
import { syntheticServed } from '../../support/synthetic-releases.ts';

const ADMIN = { authorization: 'Bearer t', 'content-type': 'application/json' };
const built = syntheticServed(200, 3);

/** A thin server holding `params` as the latest `cooccurrence` candidate, promoted or not. */
async function server(options: { promote: boolean; params?: Float32Array }) {
  const storage = openServerStorage(':memory:');
  const app = createApp({ storage, adminToken: 't' });
  storage.insertModel({
    name: 'cooccurrence',
    version: 0,
    params: options.params ?? built.params,
    layout: JSON.stringify(built.layout),
    state: [],
  });
  if (options.promote) {
    const promoted = await app.request('/v1/admin/promote', {
      method: 'POST',
      headers: ADMIN,
      // The loader is under test, not the evaluation gate: the operator's override serves it.
      body: JSON.stringify({
        v: 1,
        kind: 'promote',
        name: 'cooccurrence',
        override: true,
        reason: 'loader test',
      }),
    });
    expect(promoted.status).toBe(201);
  }
  return vi.fn(async (input: string | URL | Request, init?: RequestInit) =>
    app.request(String(input), init),
  );
}

let db = 0;
function privacyWith(fetch: typeof globalThis.fetch) {
  db += 1;
  return createWorkerPrivacy({
    server: 'http://127.0.0.1:9',
    dbName: `hearth-test-cooccurrence-${db}`,
    fetch,
    rng: seededRng(1),
  });
}

describe('loadServedCooccurrence', () => {
  it('requests nothing without consent', async () => {
    const fetch = await server({ promote: true });
    const privacy = privacyWith(fetch);
    expect(await loadServedCooccurrence(privacy)).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('with consent, decodes the promoted model and records the download at ε 0', async () => {
    // Arrange
    const fetch = await server({ promote: true });
    const privacy = privacyWith(fetch);
    await privacy.setConsent(true);
    // Act
    const model = await loadServedCooccurrence(privacy);
    // Assert
    expect(model?.version).toBe('cooccurrence.served-v0');
    expect(model?.itemIds).toEqual(built.layout.itemIds);
    expect(String(fetch.mock.calls[0]![0])).toBe(
      'http://127.0.0.1:9/v1/model?name=cooccurrence.served',
    );
    const { rows } = await privacy.ledger();
    expect(rows).toContainEqual(
      expect.objectContaining({
        kind: 'request',
        summary: expect.stringContaining(COOCCURRENCE_DOWNLOAD_SUMMARY),
        epsilon: 0,
      }),
    );
  });

  it('gives null while only a candidate exists (nothing promoted)', async () => {
    const privacy = privacyWith(await server({ promote: false }));
    await privacy.setConsent(true);
    expect(await loadServedCooccurrence(privacy)).toBeNull();
  });

  it('gives null for a damaged model instead of throwing, so the engine keeps its model', async () => {
    // Arrange: the right length, but the first pair names a row past the items.
    const params = Float32Array.from(built.params);
    const n = built.layout.itemIds.length;
    params[2 * n] = n + 5;
    const privacy = privacyWith(await server({ promote: true, params }));
    await privacy.setConsent(true);
    // Act / Assert
    expect(await loadServedCooccurrence(privacy)).toBeNull();
  });

  it('gives null when the server fails or is offline', async () => {
    const failing = privacyWith(vi.fn(async () => new Response('down', { status: 503 })));
    const offline = privacyWith(
      vi.fn(async () => {
        throw new TypeError('network');
      }),
    );
    await failing.setConsent(true);
    await offline.setConsent(true);
    expect(await loadServedCooccurrence(failing)).toBeNull();
    expect(await loadServedCooccurrence(offline)).toBeNull();
  });
});
