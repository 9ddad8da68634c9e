import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { HeldOutRanker } from '../../src/engine/service.ts';
import { deleteAllHearthDatabases } from '../../src/store/schema.ts';
import { workerConfigFromUrl } from '../../src/worker/config.ts';
import { createWorkerPrivacy } from '../../src/worker/privacy-part.ts';
import { cooccurrenceServer } from '../federated/support/cooccurrence-models.ts';
import { dapTask, HELPER, LEADER, SERVER } from '../federated/support/dap-tasks.ts';
import { createFakeDap } from '../federated/support/fake-dap.ts';

const ITEMS = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
const histogram = { kind: 'item-histogram' as const, items: ITEMS, maxItems: 4 };
const local = async () => ({ collabItems: ['b2', 'b5'] });

let counter = 0;
/** A fake leader + helper publishing one histogram task, and privacy parts over one database. */
async function setup(options: { helper?: string | null } = {}) {
  counter += 1;
  const task = dapTask(histogram);
  const dap = await createFakeDap({
    server: SERVER,
    leader: LEADER,
    helper: HELPER,
    tasks: [task],
  });
  const fetch = vi.fn((input: string | URL | Request, init?: RequestInit) =>
    dap.fetch(String(input), init ?? {}),
  );
  const dbName = `hearth-test-dap-${counter}`;
  const helper = options.helper === undefined ? HELPER : options.helper;
  const open = () =>
    createWorkerPrivacy({
      server: SERVER,
      ...(helper === null ? {} : { helper }),
      dbName,
      fetch,
    });
  return { task, dap, fetch, open };
}

describe('worker privacy: secure aggregation is the default with a server and a helper', () => {
  it('contributes a DAP report with consent, and sends no LDP telemetry or LDP update', async () => {
    // Arrange
    const { task, dap, open } = await setup();
    const privacy = open();
    await privacy.setConsent(true);
    // Act
    await privacy.report('b2'); // an item event: queued as LDP only without a helper
    const out = await privacy.train(local);
    // Assert
    expect(privacy.mode).toBe('dap');
    expect(privacy.pending()).toBe(0);
    expect(await privacy.flush()).toBe(0);
    expect(out).toMatchObject({ kind: 'uploaded', model: 'item popularity' });
    const urls = dap.requests.map((r) => new URL(r.url).pathname);
    expect(urls.filter((p) => /\/v1\/(telemetry|updates|round)$/.test(p))).toEqual([]);
    expect(dap.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect((await dap.aggregate(task)).sum).toEqual([0, 1, 0, 0, 1, 0]);
    privacy.close();
  });

  it('sends nothing without consent and does not build the local data', async () => {
    const { fetch, open } = await setup();
    const privacy = open();
    const build = vi.fn(local);
    expect(await privacy.contribute(build)).toEqual({
      kind: 'skipped',
      reason: 'sending is off (no consent)',
    });
    expect(build).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
    privacy.close();
  });

  it("lists the DAP report in the ledger view with its protection, bytes and ε, and the page's mode", async () => {
    const { dap, open } = await setup();
    const privacy = open();
    await privacy.setConsent(true);
    await privacy.contribute(local);
    const view = await privacy.ledger();
    const report = view.rows.find((r) => r.kind === 'dap-report');
    expect(view.mode).toBe('dap');
    expect(report?.protection).toBe('dap');
    expect(report?.bytes).toBe(dap.requests.find((r) => r.method === 'PUT')?.bytes);
    expect(report?.epsilon).toBeGreaterThan(0);
    expect(
      view.rows.filter((r) => r.kind === 'request').every((r) => r.protection === undefined),
    ).toBe(true);
    privacy.close();
  });

  it('makes one report per task and window across two tabs of the same visitor', async () => {
    // Arrange: two tabs (two privacy parts) over one IndexedDB database.
    const { dap, open } = await setup();
    const [tabA, tabB] = [open(), open()];
    await tabA.setConsent(true);
    // Act: both contribute at the same time.
    const [a, b] = await Promise.all([tabA.contribute(local), tabB.contribute(local)]);
    // Assert
    expect(dap.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    const kinds = [a, b].flatMap((o) => (o.kind === 'dap' ? o.tasks.map((t) => t.kind) : []));
    expect(kinds.sort()).toEqual(['reported', 'skipped']);
    expect((await tabA.ledger()).rows.filter((r) => r.kind === 'dap-report')).toHaveLength(1);
    tabA.close();
    tabB.close();
  });

  it('"Forget me" also forgets which tasks were reported: with consent again, the visitor may report anew', async () => {
    const { dap, open } = await setup();
    const privacy = open();
    await privacy.setConsent(true);
    await privacy.contribute(local);
    await deleteAllHearthDatabases();
    await privacy.forgotten();
    await privacy.setConsent(true);
    const out = await privacy.contribute(local);
    expect(out.kind === 'dap' && out.tasks.map((t) => t.kind)).toEqual(['reported']);
    expect(dap.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    privacy.close();
  });
});

describe('worker privacy: federated evaluation', () => {
  it("hands the engine's held-out ranking to a model-evaluation task and reports its outcome", async () => {
    // Arrange: a first candidate (cooccurrence v0, nothing served yet) on the thin server.
    const server = await cooccurrenceServer(ITEMS, null, [['b2', 'b5', 3]]);
    const task = dapTask({
      kind: 'model-evaluation',
      model: 'cooccurrence',
      candidate: 0,
      served: null,
      k: 10,
    });
    const dap = await createFakeDap({
      server: SERVER,
      leader: LEADER,
      helper: HELPER,
      tasks: [task],
      fallback: server.fallback,
    });
    counter += 1;
    const privacy = createWorkerPrivacy({
      server: SERVER,
      helper: HELPER,
      dbName: `hearth-test-dap-${counter}`,
      fetch: (input, init) => dap.fetch(String(input), init ?? {}),
    });
    await privacy.setConsent(true);
    const ranks = vi.fn<HeldOutRanker>(async () => ({ servedRank: null, candidateRank: 2 }));
    // Act
    const out = await privacy.contribute(async () => ({
      collabItems: ['b2', 'b5'],
      heldOutRanks: ranks,
    }));
    // Assert
    expect(out.kind === 'dap' && out.tasks.map((t) => t.kind)).toEqual(['reported']);
    expect(ranks).toHaveBeenCalledTimes(1);
    const [models, k] = ranks.mock.calls[0] ?? [];
    expect(k).toBe(10);
    expect(models?.served).toBeNull();
    expect(models?.candidate.itemIds).toEqual(ITEMS);
    expect((await dap.aggregate(task)).sum).toEqual([1, 0, 0]);
    privacy.close();
  });
});

describe('worker privacy: single-server fallback', () => {
  it('without a helper, contributes no DAP report and keeps the LDP path', async () => {
    const { fetch, open } = await setup({ helper: null });
    const privacy = open();
    await privacy.setConsent(true);
    await privacy.report('b2');
    expect(privacy.mode).toBe('ldp');
    expect(privacy.pending()).toBe(1);
    expect(await privacy.contribute(local)).toEqual({
      kind: 'skipped',
      reason: 'secure aggregation needs both a server and a helper',
    });
    expect(fetch).not.toHaveBeenCalled();
    privacy.close();
  });

  it('reads the helper from the worker URL', () => {
    const config = workerConfigFromUrl(
      `https://shop.example/w.js?server=${encodeURIComponent(SERVER)}&helper=${encodeURIComponent(HELPER)}`,
    );
    expect(config).toMatchObject({ server: SERVER, helper: HELPER });
  });
});
