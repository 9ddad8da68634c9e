/**
 * Malformed and replayed reports against the two aggregators: each is rejected with its counted
 * reason (on the aggregator that detects it), and the released sum is exactly the honest reports'
 * sum plus each aggregator's one noise draw, i.e. the bad report was never aggregated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  sampleDiscreteGaussians,
  seededRandomBelow,
} from '../../../src/privacy/discrete-gaussian.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { bumpElement, type Forgery, forgeReport, upload } from './forge.ts';
import { dapPair, HOUR, histogramTask, multiHot, T0 } from './helpers.ts';

const L = 12;
const SIGMA = 2;
let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

type Pair = ReturnType<typeof dapPair>;

/** Honest reports (ones at r and r+3), through the library client; returns the true sum. */
async function honest(p: Pair, task: DapTask, n: number): Promise<number[]> {
  const client = p.client(task);
  const truth = new Array<number>(L).fill(0);
  for (let r = 0; r < n; r++) {
    const m = multiHot(L, [r % L, (r + 3) % L]);
    m.forEach((v, j) => {
      truth[j] = (truth[j] ?? 0) + v;
    });
    await client.sendMeasurement(m, { timestamp: new Date(p.clock.now) });
  }
  return truth;
}

/** Collects the closed window and returns the released sum minus both seeded noise draws. */
async function releasedWithoutNoise(p: Pair, task: DapTask): Promise<number[]> {
  p.clock.now = T0 + 25 * HOUR;
  const res = await p.collect(task.id);
  if (res.status !== 200) throw new Error(`collect failed: ${await res.text()}`);
  const agg = (await (await p.app.request(`/v1/aggregates?limit=${L}`)).json()) as {
    items: { itemId: string; count: number }[];
  };
  const noiseL = sampleDiscreteGaussians(L, SIGMA, seededRandomBelow(101)).map(Number);
  const noiseH = sampleDiscreteGaussians(L, SIGMA, seededRandomBelow(202)).map(Number);
  const out = new Array<number>(L).fill(0);
  for (const item of agg.items) {
    const j = Number(item.itemId.slice(5));
    out[j] = item.count - (noiseL[j] ?? 0) - (noiseH[j] ?? 0);
  }
  return out;
}

/** A task, three honest reports and one forged one; returns what the upload answered. */
async function withForgery(forgery: (task: DapTask, p: Pair) => Forgery) {
  pair = dapPair({ jobSize: 4 });
  const task = histogramTask({ items: L, sigma: SIGMA, minBatch: 3 });
  await pair.publish(task);
  const truth = await honest(pair, task, 3);
  const { body } = await forgeReport(pair.clientFetch, task, {
    timeMs: pair.clock.now,
    ...forgery(task, pair),
  });
  const res = await upload(pair.clientFetch, task, body);
  return { p: pair, task, truth, res };
}

const binary = multiHot(L, [2, 5]);

/** Flips the lowest bit of byte `at`. */
function flipBit(bytes: Uint8Array, at: number): void {
  bytes[at] = (bytes[at] ?? 0) ^ 1;
}

describe('DAP tampering: every malformed report is rejected, counted and never aggregated', () => {
  const proofCases: [string, (task: DapTask) => Forgery][] = [
    [
      'an entry of 2 (bits = 1 allows 0 and 1)',
      () => ({ entries: multiHot(L, [1]).map((v, j) => (j === 4 ? 2 : v)) }),
    ],
    ['an entry of −1', () => ({ entries: multiHot(L, [1]).map((v, j) => (j === 4 ? -1 : v)) })],
    [
      'a leader measurement share changed after proving (bad proof)',
      (task) => ({ entries: binary, tamper: (s) => bumpElement(s.leader, 5, task.vdaf) }),
    ],
    [
      'a leader proof share changed after proving',
      (task) => ({ entries: binary, tamper: (s) => bumpElement(s.leader, L, task.vdaf) }),
    ],
    [
      "a public share whose leader part is not the leader's",
      () => ({
        entries: binary,
        tamper: (s) => flipBit(s.publicShare, 0),
      }),
    ],
    [
      "a public share whose helper part is not the helper's",
      () => ({
        entries: binary,
        tamper: (s) => flipBit(s.publicShare, 20),
      }),
    ],
    [
      "a bit flipped in the helper's input share",
      () => ({ entries: binary, tamper: (s) => flipBit(s.helper, 3) }),
    ],
  ];

  for (const [name, forgery] of proofCases) {
    it(`rejects ${name} as vdaf_prep_error on both aggregators`, async () => {
      // Arrange / Act
      const { p, task, truth, res } = await withForgery(forgery);
      const released = await releasedWithoutNoise(p, task);

      // Assert
      expect(res.status).toBe(201);
      expect((await p.stats('leader', task.id)).rejections).toEqual({ vdaf_prep_error: 1 });
      expect((await p.stats('helper', task.id)).rejections).toEqual({ vdaf_prep_error: 1 });
      expect(released).toEqual(truth);
    });
  }

  it('rejects a report of the wrong length (11 entries for a 12-entry task) as invalid_message', async () => {
    // Arrange / Act
    const { p, task, truth, res } = await withForgery((t) => ({
      entries: multiHot(L - 1, [1]),
      vdaf: { ...t.vdaf, length: L - 1 },
    }));
    const released = await releasedWithoutNoise(p, task);

    // Assert: the leader's share has the wrong size; the helper never sees the report.
    expect(res.status).toBe(201);
    expect((await p.stats('leader', task.id)).rejections).toEqual({ invalid_message: 1 });
    expect((await p.stats('helper', task.id)).rejections).toEqual({});
    expect(released).toEqual(truth);
  });

  it('rejects a report sealed for another task as hpke_decrypt_error (the task id is in the HPKE aad)', async () => {
    // Arrange / Act
    const { p, task, truth, res } = await withForgery(() => ({
      entries: binary,
      sealedForTask: 'B'.repeat(43),
    }));
    const released = await releasedWithoutNoise(p, task);

    // Assert
    expect(res.status).toBe(201);
    expect((await p.stats('leader', task.id)).rejections).toEqual({ hpke_decrypt_error: 1 });
    expect(released).toEqual(truth);
  });

  const uploadCases: [string, (task: DapTask, p: Pair) => Forgery, string, string][] = [
    [
      'a report dated before the window',
      () => ({ entries: binary, timeMs: T0 - 2 * HOUR }),
      'outside_window',
      'reportRejected',
    ],
    [
      'a report dated an hour ahead of the clock',
      (_t, p) => ({ entries: binary, timeMs: p.clock.now + HOUR }),
      'report_too_early',
      'reportTooEarly',
    ],
    [
      'a report sealed to another HPKE config id',
      () => ({ entries: binary, leaderConfigId: 0 }),
      'outdated_config',
      'outdatedConfig',
    ],
  ];

  for (const [name, forgery, reason, problem] of uploadCases) {
    it(`refuses ${name} at upload with ${problem} (counted as ${reason})`, async () => {
      // Arrange / Act
      const { p, task, truth, res } = await withForgery(forgery);
      const body = (await res.json()) as { type: string; taskid: string };
      const released = await releasedWithoutNoise(p, task);

      // Assert
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(body).toMatchObject({
        type: `urn:ietf:params:ppm:dap:error:${problem}`,
        taskid: task.id,
      });
      expect((await p.stats('leader', task.id)).rejections).toEqual({ [reason]: 1 });
      expect(released).toEqual(truth);
    });
  }

  it('refuses a replayed report id with reportRejected and counts it once', async () => {
    // Arrange
    pair = dapPair({ jobSize: 4 });
    const task = histogramTask({ items: L, sigma: SIGMA, minBatch: 3 });
    await pair.publish(task);
    const truth = await honest(pair, task, 3);
    const { body } = await forgeReport(pair.clientFetch, task, {
      entries: binary,
      timeMs: pair.clock.now,
    });

    // Act
    const first = await upload(pair.clientFetch, task, body);
    await pair.dap.driver.drain(task.id);
    const again = await upload(pair.clientFetch, task, body);
    const released = await releasedWithoutNoise(pair, task);

    // Assert: counted once (the first upload), the replay refused.
    expect(first.status).toBe(201);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:reportRejected',
      taskid: task.id,
    });
    expect((await pair.stats('leader', task.id)).rejections).toEqual({ report_replayed: 1 });
    expect(released).toEqual(truth.map((t, j) => t + (binary[j] ?? 0)));
  });

  it('refuses a report for a task the leader does not hold with unrecognizedTask and its taskid', async () => {
    // Arrange
    pair = dapPair();
    const task = histogramTask();
    await pair.publish(task);
    const { body } = await forgeReport(pair.clientFetch, task, {
      entries: binary,
      timeMs: pair.clock.now,
    });
    const unknown = 'C'.repeat(43);

    // Act
    const res = await upload(pair.clientFetch, task, body, unknown);

    // Assert
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:unrecognizedTask',
      taskid: unknown,
    });
    expect(pair.dap.storage.rejections('')).toEqual({ unrecognized_task: 1 });
    expect((await pair.stats('leader', task.id)).reports.pending).toBe(0);
  });

  it('lets a valid report move each entry by at most 1 (its bit width) yet set every entry: SumVec bounds entries, not the number of ones', async () => {
    // Arrange / Act: an all-ones report (every item "viewed") passes the proof.
    const { p, task, truth, res } = await withForgery(() => ({ entries: new Array(L).fill(1) }));
    const released = await releasedWithoutNoise(p, task);

    // Assert
    expect(res.status).toBe(201);
    expect((await p.stats('leader', task.id)).rejections).toEqual({});
    expect(released).toEqual(truth.map((t) => t + 1));
  });
});
