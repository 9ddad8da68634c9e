import { describe, expect, it, vi } from 'vitest';
import { FEATURE_COUNT, featureIndex } from '../../src/engine/features.ts';
import type { RankerGroup } from '../../src/engine/ranker.ts';
import { createDapClient, type DapLocalData, dapOnceKey } from '../../src/federated/dap-client.ts';
import {
  computeRankerDelta,
  learnableFeatures,
  rankerColumns,
} from '../../src/federated/ranker-update.ts';
import { ConsentRequiredError } from '../../src/privacy/errors.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../../src/privacy/ledger.ts';
import { rhoToEpsilon } from '../../src/privacy/rdp.ts';
import type { DapTask } from '../../src/protocol/dap.ts';
import { createApp } from '../../src/server/app.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { decodeRankerSum } from '../../src/wire/dap-measurement.ts';
import { modelUploadBody } from '../../src/wire/model-upload.ts';
import { dapTask, HELPER, LEADER, SERVER } from './support/dap-tasks.ts';
import { createFakeDap } from './support/fake-dap.ts';

const ITEMS = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'];
const histogram = { kind: 'item-histogram' as const, items: ITEMS, maxItems: 3 };

/** One visitor: a gate and ledger in memory over the fake aggregators. */
function visitor(
  fetch: (url: string, init: RequestInit) => Promise<Response>,
  options: { consent?: boolean; dailyEpsilon?: number; helper?: string; now?: number } = {},
) {
  const now = () => options.now ?? 1_000_000;
  const ledger = createLedger({
    storage: createMemoryLedgerStorage(),
    caps: { dailyEpsilon: options.dailyEpsilon ?? 8 },
    now,
  });
  const gate = createPrivacyGate({ ledger, fetch, consent: options.consent ?? true, now });
  const client = createDapClient({
    gate,
    ledger,
    server: SERVER,
    helper: options.helper ?? HELPER,
    rng: seededRng(3),
    now,
  });
  return { ledger, gate, client };
}

/** The in-memory leader and helper publishing `tasks`. */
const fakeDap = (tasks: DapTask[]) =>
  createFakeDap({ server: SERVER, leader: LEADER, helper: HELPER, tasks });

const local = (positiveItems: string[], rankerGroups: RankerGroup[] = []): DapLocalData => ({
  positiveItems,
  rankerGroups,
});

describe('DAP client: item histogram reports', () => {
  it("reports each visitor's last maxItems distinct positive items, and the aggregators' verified sum counts them", async () => {
    // Arrange
    const task = dapTask(histogram);
    const dap = await fakeDap([task]);
    const alice = visitor(dap.fetch);
    const bob = visitor(dap.fetch);
    // Act: Alice's last three distinct items are i1, i2, i3 (i9 is not in the task).
    const outA = await alice.client.contribute(async () =>
      local(['i0', 'i1', 'i2', 'i2', 'i9', 'i3']),
    );
    const outB = await bob.client.contribute(async () => local(['i3', 'i7']));
    // Assert
    expect(outA.map((o) => o.kind)).toEqual(['reported']);
    expect(outB.map((o) => o.kind)).toEqual(['reported']);
    const { sum, count, rejected } = await dap.aggregate(task);
    expect({ count, rejected }).toEqual({ count: 2, rejected: 0 });
    expect(sum).toEqual([0, 1, 1, 2, 0, 0, 0, 1]);
  });

  it("records one 'dap-report' ledger row with the task's ρ, the report's bytes and a summary naming the task", async () => {
    // Arrange
    const task = dapTask(histogram, { rho: 0.02, name: 'item popularity' });
    const dap = await fakeDap([task]);
    const { client, ledger } = visitor(dap.fetch);
    // Act
    const [out] = await client.contribute(async () => local(['i1']));
    // Assert
    const rows = (await ledger.entries()).filter((r) => r.kind === 'dap-report');
    expect(rows).toHaveLength(1);
    const put = dap.requests.find((r) => r.method === 'PUT');
    expect(rows[0]).toMatchObject({ rho: 0.02, bytes: put?.bytes, url: put?.url, delta: 1e-6 });
    expect(rows[0]?.epsilon).toBeCloseTo(rhoToEpsilon(0.02, 1e-6), 12);
    expect(rows[0]?.summary).toContain("task 'item popularity'");
    expect(rows[0]?.summary).toContain(`${put?.bytes} bytes`);
    expect(out).toMatchObject({ kind: 'reported', bytes: put?.bytes, status: 201, rho: 0.02 });
    expect(put?.url).toBe(`${LEADER}tasks/${task.id}/reports`);
    expect(new Headers(put?.init.headers).get('content-type')).toBe('application/dap-report');
    expect(put?.init.credentials).toBe('omit');
  });

  it('fetches each HPKE configuration from its own aggregator, the helper from the configured helper', async () => {
    const task = dapTask(histogram);
    const dap = await fakeDap([task]);
    const { client } = visitor(dap.fetch);
    await client.contribute(async () => local(['i1']));
    expect(dap.requests.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
      [
        `GET ${SERVER}v1/dap/tasks`,
        `GET ${LEADER}hpke_config?task_id=${task.id}`,
        `GET ${HELPER}hpke_config?task_id=${task.id}`,
        `PUT ${LEADER}tasks/${task.id}/reports`,
      ].sort(),
    );
  });

  it('sends nothing without consent: the task list is not even requested', async () => {
    const task = dapTask(histogram);
    const dap = await fakeDap([task]);
    const { client, ledger } = visitor(dap.fetch, { consent: false });
    const local = vi.fn();
    await expect(client.contribute(local)).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(dap.requests).toEqual([]);
    expect(local).not.toHaveBeenCalled();
    expect(await ledger.entries()).toEqual([]);
  });
});

describe('DAP client: tasks it refuses (nothing sent, nothing spent)', () => {
  /** Runs one visitor against `task` and returns its outcome and what reached the aggregators. */
  async function refused(task: DapTask, options: Parameters<typeof visitor>[1] = {}) {
    const dap = await fakeDap([task]);
    const { client, ledger } = visitor(dap.fetch, options);
    const [out] = await client.contribute(async () => local(['i1', 'i2']));
    const sent = dap.requests.filter((r) => !r.url.endsWith('/v1/dap/tasks'));
    return { out, sent, spent: (await ledger.spent()).lifetime.epsilon };
  }

  it('refuses a task that names another helper than the site configured (a leader may not choose the helper)', async () => {
    const { out, sent, spent } = await refused(
      dapTask(histogram, { helper: 'https://helper.leader-controlled.example/' }),
    );
    expect(out?.kind).toBe('skipped');
    expect(out?.kind === 'skipped' && out.reason).toContain('a leader may not choose the helper');
    expect(sent).toEqual([]);
    expect(spent).toBe(0);
  });

  it('accepts the configured helper written without its trailing slash', async () => {
    const { out } = await refused(dapTask(histogram), { helper: HELPER.replace(/\/$/, '') });
    expect(out?.kind).toBe('reported');
  });

  it('refuses a task whose collection window is not open', async () => {
    const early = await refused(
      dapTask(histogram, { window: { start: 2_000_000, end: 3_000_000 } }),
    );
    const late = await refused(dapTask(histogram, { window: { start: 0, end: 1_000_000 } }));
    for (const { out, sent } of [early, late]) {
      expect(out?.kind === 'skipped' && out.reason).toBe('its collection window is not open');
      expect(sent).toEqual([]);
    }
  });

  it("refuses a task whose ρ would pass the ledger's cap before making the report", async () => {
    // ρ = 3 is ε > 12 at δ = 1e-6: over the daily cap of 8.
    const { out, sent, spent } = await refused(dapTask(histogram, { rho: 3 }));
    expect(out?.kind === 'skipped' && out.reason).toMatch(/^privacy budget: daily ε would be/);
    expect(sent).toEqual([]);
    expect(spent).toBe(0);
  });

  it('refuses a task whose published ρ understates what its noise costs', async () => {
    const task = dapTask(histogram);
    const { out, sent } = await refused({
      ...task,
      noise: { ...task.noise, rho: task.noise.rho / 2 },
    });
    expect(out?.kind === 'skipped' && out.reason).toContain('understates the cost');
    expect(sent).toEqual([]);
  });

  it('skips a visitor with no positive event on an item the task counts', async () => {
    const dap = await fakeDap([dapTask(histogram)]);
    const { client } = visitor(dap.fetch);
    const [out] = await client.contribute(async () => local(['elsewhere']));
    expect(out?.kind === 'skipped' && out.reason).toBe(
      'no positive event with an item the task counts',
    );
  });
});

describe('DAP client: one report per visitor per task and window', () => {
  it('makes no second report for the same task and window, and a new one for the next window', async () => {
    // Arrange
    const first = dapTask(histogram);
    const next = { ...first, window: { start: 1e13, end: 2e13 } };
    const dap = await fakeDap([first, first]);
    const { client, ledger } = visitor(dap.fetch);
    // Act
    const outs = await client.contribute(async () => local(['i1']));
    const again = await client.report(first, local(['i1']));
    // Assert
    expect(outs.map((o) => o.kind)).toEqual(['reported', 'skipped']);
    expect(again.kind === 'skipped' && again.reason).toBe(
      'this device already reported in this window',
    );
    expect(dap.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(await ledger.released(dapOnceKey(first))).toBe(true);
    expect(await ledger.released(dapOnceKey(next))).toBe(false);
  });
});

/** A ranking example whose picked candidate has the highest sim_long. */
function example(): RankerGroup {
  const features = new Float32Array(3 * FEATURE_COUNT);
  features[featureIndex('sim_long')] = 1;
  features[FEATURE_COUNT + featureIndex('popularity')] = 1;
  return { features, count: 3, positive: 0 };
}

describe('DAP client: ranker updates', () => {
  /** The real thin server publishing ranker v0 (zeros) plus the fake aggregators. */
  async function rankerSetup(modelVersion: number) {
    const storage = openServerStorage(':memory:');
    const app = createApp({ storage, adminToken: 't'.repeat(32) });
    const features = learnableFeatures();
    await app.request('/v1/admin/model', {
      method: 'PUT',
      headers: { authorization: `Bearer ${'t'.repeat(32)}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        modelUploadBody('ranker', new Float32Array(features.length), { kind: 'ranker', features }),
      ),
    });
    const measurement = {
      kind: 'ranker-update' as const,
      modelVersion,
      features,
      clip: 0.5,
      scale: 64,
      localSteps: 5,
      learningRate: 1,
    };
    const task = dapTask(measurement, { name: 'ranker update' });
    const dap = await createFakeDap({
      server: SERVER,
      leader: LEADER,
      helper: HELPER,
      tasks: [task],
      fallback: async (url, init) => app.request(new URL(url).pathname + new URL(url).search, init),
    });
    return { task, dap, features, measurement };
  }

  it('reports the clipped, quantised local delta against the published version; the mean of the sum is that delta', async () => {
    // Arrange
    const { task, dap, features, measurement } = await rankerSetup(0);
    const { client } = visitor(dap.fetch);
    // Act
    const [out] = await client.contribute(async () => local([], [example(), example()]));
    // Assert
    expect(out?.kind).toBe('reported');
    const { sum, count } = await dap.aggregate(task);
    expect(count).toBe(1);
    const { mean } = decodeRankerSum(measurement, sum);
    const expected = computeRankerDelta(
      rankerColumns(features),
      new Float32Array(features.length),
      [example(), example()],
      { localSteps: 5, learningRate: 1 },
    );
    const norm = Math.hypot(...expected);
    const factor = norm > 0.5 ? 0.5 / norm : 1;
    expected.forEach((v, i) => {
      // Stochastic rounding moves each entry by less than one step of 1/scale.
      expect(Math.abs((mean[i] ?? 0) - v * factor)).toBeLessThan(1 / 64 + 1e-9);
    });
    expect(Math.hypot(...mean)).toBeGreaterThan(0.1);
  });

  it('skips a ranker task computed against another version than the server publishes', async () => {
    const { dap } = await rankerSetup(3);
    const { client } = visitor(dap.fetch);
    const [out] = await client.contribute(async () => local([], [example()]));
    expect(out?.kind === 'skipped' && out.reason).toBe(
      'the task trains ranker v3, the server publishes v0',
    );
    expect(dap.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('skips a ranker task when the visitor has no ranking example', async () => {
    const { dap } = await rankerSetup(0);
    const { client } = visitor(dap.fetch);
    const [out] = await client.contribute(async () => local(['i1']));
    expect(out?.kind === 'skipped' && out.reason).toBe('no local ranking example');
  });
});
