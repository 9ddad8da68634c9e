/**
 * The DAP client's measurements for the private models (issue 13): pair counts from the visitor's
 * positive history, federated evaluations of a candidate item-item model on the visitor's held-out
 * last event, and the ledger's caps over all tasks of a window together.
 */
import { describe, expect, it, vi } from 'vitest';
import { createMemoryEventLog } from '../../src/engine/events.ts';
import { createMemoryPromptStore } from '../../src/engine/prompt-store.ts';
import { linearRanker } from '../../src/engine/ranker.ts';
import { createEngineService, type HeldOutRanker } from '../../src/engine/service.ts';
import { createDapClient, type DapLocalData } from '../../src/federated/dap-client.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { rhoForBudget, rhoToEpsilon } from '../../src/privacy/rdp.ts';
import type { DapMeasurement, DapTask } from '../../src/protocol/dap.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { encodePairCounts } from '../../src/wire/dap-measurement.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';
import { bookContext } from '../engine/fixture.ts';
import { cooccurrenceServer } from './support/cooccurrence-models.ts';
import { dapTask, HELPER, LEADER, SERVER } from './support/dap-tasks.ts';
import { createFakeDap } from './support/fake-dap.ts';

const ITEMS = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5'];
const NOW = 1_000_000;
/** The book fixture's item ids (b1..b8). */
const ids = (await bookContext()).items.map((i) => i.id);

/** Pairs of i0..i3 (all six cells), weight 1 per adjacent pair, 1/2 two events apart. */
const pairs = {
  kind: 'pair-counts' as const,
  items: ['i0', 'i1', 'i2', 'i3'],
  cells: [
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 2],
    [1, 3],
    [2, 3],
  ] as [number, number][],
  maxEvents: 4,
  window: 2,
  decay: 0.5,
  clip: 4,
  scale: 2,
};

/** One visitor: a gate and ledger in memory, consent on, over `fetch`. */
function visitor(fetch: (url: string, init: RequestInit) => Promise<Response>, dailyEpsilon = 8) {
  const now = () => NOW;
  const ledger = createLedger({
    storage: createMemoryLedgerStorage(),
    caps: { dailyEpsilon },
    now,
  });
  const gate = createPrivacyGate({ ledger, fetch, consent: true, now });
  const client = createDapClient({
    gate,
    ledger,
    server: SERVER,
    helper: HELPER,
    rng: seededRng(3),
    now,
  });
  return { ledger, client };
}

const fakeDap = (tasks: DapTask[], fallback?: Parameters<typeof createFakeDap>[0]['fallback']) =>
  createFakeDap({
    server: SERVER,
    leader: LEADER,
    helper: HELPER,
    tasks,
    ...(fallback ? { fallback } : {}),
  });

const local = (positiveItems: string[], heldOutRanks?: HeldOutRanker): DapLocalData => ({
  positiveItems,
  rankerGroups: [],
  ...(heldOutRanks ? { heldOutRanks } : {}),
});

describe('DAP client: pair-count reports', () => {
  it("reports the visitor's positive history through encodePairCounts with the task's parameters, and the verified sum adds them up", async () => {
    // Arrange
    const task = dapTask(pairs, { name: 'item pairs', rho: 0.03 });
    const dap = await fakeDap([task]);
    const alice = visitor(dap.fetch);
    const bob = visitor(dap.fetch);
    // Alice: only her last 4 events count (maxEvents); i9 is not a task item.
    const aliceHistory = ['i3', 'i0', 'i1', 'i9', 'i2', 'i1'];
    const bobHistory = ['i2', 'i3'];
    // Act
    const outA = await alice.client.contribute(async () => local(aliceHistory));
    const outB = await bob.client.contribute(async () => local(bobHistory));
    // Assert: weights are multiples of 1/2 and scale is 2, so no rounding is random here.
    expect(outA.map((o) => o.kind)).toEqual(['reported']);
    expect(outB.map((o) => o.kind)).toEqual(['reported']);
    const { sum, count, rejected } = await dap.aggregate(task);
    expect({ count, rejected }).toEqual({ count: 2, rejected: 0 });
    const expected = [aliceHistory, bobHistory]
      .map((h) => encodePairCounts(pairs, h, seededRng(0)))
      .reduce((a, b) => a.map((v, i) => v + (b[i] ?? 0)));
    // Alice's last 4 events are i1, i9, i2, i1: i1–i2 two apart (½) and adjacent (1), capped at
    // 1 per cell; Bob's i2–i3 adjacent (1); each times scale 2.
    expect(sum).toEqual(expected);
    expect(sum).toEqual([0, 0, 0, 2, 0, 2]);
    const rows = (await alice.ledger.entries()).filter((r) => r.kind === 'dap-report');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rho: 0.03 });
    expect(rows[0]?.summary).toContain("task 'item pairs' (pair-counts, 6 entries");
  });

  it('sends nothing for a visitor with no pair of the task items in the recent history', async () => {
    // Arrange
    const task = dapTask(pairs);
    const dap = await fakeDap([task]);
    const { client, ledger } = visitor(dap.fetch);
    // Act: i0 and i3 are more than `window` events apart; i4, i5 are not task items.
    const [out] = await client.contribute(async () => local(['i0', 'i4', 'i5', 'i3']));
    // Assert
    expect(out?.kind === 'skipped' && out.reason).toBe(
      "no pair of the task's items among the recent positive events",
    );
    expect(dap.requests.filter((r) => !r.url.endsWith('/v1/dap/tasks'))).toEqual([]);
    expect((await ledger.spent()).lifetime.epsilon).toBe(0);
  });
});

/** The engine of a visitor who viewed b1 (a cozy mystery), then b7 (gardening). */
async function visitorEngine() {
  const { items, vectors } = await bookContext();
  const events = createMemoryEventLog();
  await events.append({ kind: 'view', itemId: 'b1', at: NOW - 120_000 });
  await events.append({ kind: 'view', itemId: 'b7', at: NOW - 60_000 });
  return createEngineService({
    catalog: { snapshot: async () => ({ items, vectors, dims: 64, version: 'c1' }) },
    encoder: createFakeEncoder(64),
    // A strong item-item weight: the private model decides the order.
    ranker: linearRanker('test', [1, 1, 1, 0.5, 1, 1, 0.5, 0, -1, 4, 10], 0),
    events,
    promptStore: createMemoryPromptStore(),
    forgetStorage: async () => undefined,
  });
}

const evaluation = (served: number | null, model = 'cooccurrence'): DapMeasurement => ({
  kind: 'model-evaluation',
  model,
  candidate: 1,
  served,
  k: 5,
});

describe('DAP client: federated evaluation of a candidate model', () => {
  it('ranks the held-out last item with the served and the candidate version and reports [candidate better, served better, tie] one-hot', async () => {
    // Arrange: the served model links b1 to b8, the candidate b1 to b7 (the held-out item).
    const server = await cooccurrenceServer(ids, [['b1', 'b8', 10]], [['b1', 'b7', 10]]);
    const task = dapTask(evaluation(0), { name: 'evaluate cooccurrence v1', rho: 0.02 });
    const dap = await fakeDap([task], server.fallback);
    const { client, ledger } = visitor(dap.fetch);
    const engine = await visitorEngine();
    // Act
    const [out] = await client.contribute(async () => local(['b1', 'b7'], engine.heldOutRanks));
    // Assert
    expect(out).toMatchObject({ kind: 'reported', rho: 0.02 });
    const { sum, count } = await dap.aggregate(task);
    expect(count).toBe(1);
    expect(sum).toEqual([1, 0, 0]);
    const rows = await ledger.entries();
    const downloads = rows.filter((r) => r.kind === 'download');
    expect(downloads.map((r) => r.url)).toEqual([
      `${SERVER}v1/model?name=cooccurrence&version=1`,
      `${SERVER}v1/model?name=cooccurrence.served&version=0`,
    ]);
    expect(downloads.every((r) => r.epsilon === 0 && r.delta === 0)).toBe(true);
    const report = rows.find((r) => r.kind === 'dap-report');
    expect(report?.rho).toBe(0.02);
    expect(report?.epsilon).toBeCloseTo(rhoToEpsilon(0.02, 1e-6), 12);
  });

  it('reports "served better" when the served version ranks the held-out item higher', async () => {
    // Arrange: the two versions swapped.
    const server = await cooccurrenceServer(ids, [['b1', 'b7', 10]], [['b1', 'b8', 10]]);
    const task = dapTask(evaluation(0));
    const dap = await fakeDap([task], server.fallback);
    const { client } = visitor(dap.fetch);
    const engine = await visitorEngine();
    // Act
    await client.contribute(async () => local(['b1', 'b7'], engine.heldOutRanks));
    // Assert
    expect((await dap.aggregate(task)).sum).toEqual([0, 1, 0]);
  });

  it('reports nothing for a visitor with fewer than 2 positive events: no download, no report, no ε', async () => {
    // Arrange
    const server = await cooccurrenceServer(ids, [], [['b1', 'b7', 10]]);
    const dap = await fakeDap([dapTask(evaluation(0))], server.fallback);
    const { client, ledger } = visitor(dap.fetch);
    const ranks = vi.fn<HeldOutRanker>();
    // Act
    const [out] = await client.contribute(async () => local(['b1'], ranks));
    // Assert
    expect(out?.kind === 'skipped' && out.reason).toBe(
      'fewer than 2 positive events: nothing to hold out',
    );
    expect(ranks).not.toHaveBeenCalled();
    expect(dap.requests.filter((r) => !r.url.endsWith('/v1/dap/tasks'))).toEqual([]);
    expect((await ledger.entries()).filter((r) => r.kind !== 'request')).toEqual([]);
  });

  it('reports nothing when the engine finds fewer than 2 positive events on catalog items', async () => {
    // Arrange
    const server = await cooccurrenceServer(ids, [], [['b1', 'b7', 10]]);
    const dap = await fakeDap([dapTask(evaluation(0))], server.fallback);
    const { client } = visitor(dap.fetch);
    // Act
    const [out] = await client.contribute(async () => local(['b1', 'gone'], async () => null));
    // Assert
    expect(out?.kind === 'skipped' && out.reason).toBe(
      'fewer than 2 positive events on catalog items: nothing to hold out',
    );
    expect(dap.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('skips a task naming a served version the server does not keep, before any report', async () => {
    // Arrange
    const server = await cooccurrenceServer(ids, [], [['b1', 'b7', 10]]);
    const dap = await fakeDap([dapTask(evaluation(7))], server.fallback);
    const { client } = visitor(dap.fetch);
    const engine = await visitorEngine();
    // Act
    const [out] = await client.contribute(async () => local(['b1', 'b7'], engine.heldOutRanks));
    // Assert
    expect(out?.kind === 'skipped' && out.reason).toBe(
      'the server has no cooccurrence.served v7 (GET answered 404)',
    );
    expect(dap.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('skips an evaluation of a model this client does not rank with', async () => {
    // Arrange
    const dap = await fakeDap([dapTask(evaluation(0, 'ranker'))]);
    const { client } = visitor(dap.fetch);
    // Act
    const [out] = await client.contribute(async () => local(['b1', 'b7'], async () => null));
    // Assert
    expect(out?.kind === 'skipped' && out.reason).toBe(
      "this client evaluates only cooccurrence, not 'ranker'",
    );
  });
});

describe('DAP client: one budget over all tasks of a window', () => {
  it("refuses the task that would take the window past the ledger's cap, with the reason, and sends nothing for it", async () => {
    // Arrange: each task costs 0.4 of the daily cap's ρ; the first two fit (0.8), the third
    // would make 1.2.
    const cap = 2;
    const rho = 0.4 * rhoForBudget(cap, 1e-6);
    const histogram = dapTask(
      { kind: 'item-histogram', items: ITEMS, maxItems: 3 },
      { name: 'item popularity', rho },
    );
    const pairTask = dapTask(pairs, { name: 'item pairs', rho });
    const evaluationTask = dapTask(evaluation(0), { name: 'evaluate cooccurrence v1', rho });
    const dap = await fakeDap([histogram, pairTask, evaluationTask]);
    const { client, ledger } = visitor(dap.fetch, cap);
    const ranks = vi.fn<HeldOutRanker>();
    // Act
    const outs = await client.contribute(async () => local(['i0', 'i1', 'i2'], ranks));
    // Assert
    expect(outs.map((o) => o.kind)).toEqual(['reported', 'reported', 'skipped']);
    const third = outs[2];
    expect(third?.kind === 'skipped' && third.reason).toBe(
      `privacy budget: daily ε would be ${rhoToEpsilon(3 * rho, 1e-6).toFixed(3)} > cap ${cap} (δ = 0.000001)`,
    );
    expect(ranks).not.toHaveBeenCalled();
    const forThird = dap.requests.filter((r) => r.url.includes(evaluationTask.id));
    expect(forThird).toEqual([]);
    expect(dap.requests.filter((r) => r.url.includes('/v1/model'))).toEqual([]);
    const spent = await ledger.spent();
    expect(spent.daily.epsilon).toBeCloseTo(rhoToEpsilon(2 * rho, 1e-6), 9);
    expect(spent.daily.epsilon).toBeLessThanOrEqual(cap);
  });
});
