import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { seededRng } from '../../src/shared/rng.ts';
import { createWorkerPrivacy } from '../../src/widget/worker-privacy.ts';

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
