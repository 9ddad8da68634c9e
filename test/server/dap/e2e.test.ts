import { afterEach, describe, expect, it } from 'vitest';
import {
  sampleDiscreteGaussians,
  seededRandomBelow,
} from '../../../src/privacy/discrete-gaussian.ts';
import { AggregatesSchema } from '../../../src/protocol/telemetry.ts';
import { DAP_MEDIA } from '../../../src/wire/dap/upload.ts';
import { dapPair, HOUR, histogramTask, multiHot, T0 } from './helpers.ts';

let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

/** Sends `n` honest reports of `task` (item i of report r: the ones at r mod L and 5r+1 mod L). */
async function sendHonest(
  p: ReturnType<typeof dapPair>,
  task: ReturnType<typeof histogramTask>,
  n: number,
) {
  const client = p.client(task);
  const length = task.vdaf.length;
  const truth = new Array<number>(length).fill(0);
  for (let r = 0; r < n; r++) {
    const m = multiHot(length, [r % length, (5 * r + 1) % length]);
    m.forEach((v, j) => {
      truth[j] = (truth[j] ?? 0) + v;
    });
    await client.sendMeasurement(m, { timestamp: new Date(p.clock.now) });
  }
  return truth;
}

describe('DAP leader + helper end to end (in process, @divviup/dap client)', () => {
  it('releases the true sum plus one noise draw of each aggregator, and serves it as the popularity prior', async () => {
    // Arrange
    pair = dapPair({ jobSize: 4 });
    const task = histogramTask({ items: 12, sigma: 2, minBatch: 3 });
    await pair.publish(task);
    const truth = await sendHonest(pair, task, 9);

    // Act
    pair.clock.now = T0 + 25 * HOUR;
    const res = await pair.collect(task.id);
    const summary = (await res.json()) as { reports: number; sigma: number; epsilon: number };
    const agg = AggregatesSchema.parse(
      await (await pair.app.request('/v1/aggregates?limit=12')).json(),
    );

    // Assert: exactly truth + N_Z(0, σ²) from the leader's source + one from the helper's.
    expect(res.status).toBe(200);
    expect(summary.reports).toBe(9);
    const noiseL = sampleDiscreteGaussians(12, 2, seededRandomBelow(101)).map(Number);
    const noiseH = sampleDiscreteGaussians(12, 2, seededRandomBelow(202)).map(Number);
    expect(agg.mechanism).toBe('dap');
    expect(agg.reports).toBe(9);
    const released = new Map(agg.items.map((i) => [i.itemId, i.count]));
    truth.forEach((t, j) => {
      expect(released.get(`item-${j}`)).toBe(t + (noiseL[j] ?? 0) + (noiseH[j] ?? 0));
    });
    // Within a few σ of the true sum, with the stated variance 2σ².
    for (const item of agg.items) {
      const j = Number(item.itemId.slice(5));
      expect(Math.abs(item.count - (truth[j] ?? 0))).toBeLessThan(5 * 2 * Math.SQRT2);
      expect(item.variance).toBe(8);
    }
  });

  it('serves the HPKE config with the exact media type and a day of caching, and refuses an unknown task with its taskid', async () => {
    // Arrange
    pair = dapPair();
    const task = histogramTask();
    await pair.publish(task);

    // Act
    const res = await pair.app.request(`/dap/hpke_config?task_id=${task.id}`);
    const unknown = await pair.app.request(`/dap/hpke_config?task_id=${'A'.repeat(43)}`);

    // Assert
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(DAP_MEDIA.hpkeConfigList);
    expect(res.headers.get('cache-control')).toBe('max-age=86400');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:unrecognizedTask',
      taskid: 'A'.repeat(43),
    });
  });
});
