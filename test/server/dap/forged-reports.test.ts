/**
 * The 1,000-forged-reports attack against the DAP popularity path. Forged reports here are valid
 * SumVec reports (made with the maintained client library, so every proof verifies) that all
 * name the least popular item. What they cannot do: put more than 1 on an item per report (an
 * entry of 2 fails the proof, see tampering.test.ts), or send more than the leader's per-address
 * quota per task (src/server/client-quota.ts). What they can do: count like that many visitors —
 * with enough addresses they move the item, exactly as many real visitors would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { requestFrom } from '../../../support/server-attacks.ts';
import { clientAt, dapPair, HOUR, histogramTask, multiHot, T0 } from './helpers.ts';

const L = 12;
const TARGET = L - 1;
let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

type Pair = ReturnType<typeof dapPair>;

/** Honest visitors, one per address: item i is reported by 2·(L − i) of them. */
async function honestVisitors(p: Pair, task: DapTask): Promise<number[]> {
  const truth = new Array<number>(L).fill(0);
  let visitor = 0;
  for (let i = 0; i < L; i++) {
    for (let k = 0; k < 2 * (L - i); k++) {
      const address = `100.64.${visitor >> 8}.${visitor & 255}`;
      visitor++;
      await clientAt(p, task, address).sendMeasurement(multiHot(L, [i]), {
        timestamp: new Date(p.clock.now),
      });
      truth[i] = (truth[i] ?? 0) + 1;
    }
  }
  return truth;
}

/**
 * Sends `count` valid reports for TARGET from the given addresses in turn; counts the answers.
 * Once an address is refused, the forger resends that refused (never stored) report instead of
 * sharding a new one: the refusal does not depend on the report, and sharding 1,000 takes long.
 */
async function forge(p: Pair, task: DapTask, count: number, addresses: readonly string[]) {
  let accepted = 0;
  let refused = 0;
  const refusedBody = new Map<string, Uint8Array<ArrayBuffer>>();
  for (let n = 0; n < count; n++) {
    const address = addresses[n % addresses.length] ?? '';
    const body =
      refusedBody.get(address) ??
      new Uint8Array(
        (
          await clientAt(p, task, address).generateReport(multiHot(L, [TARGET]), {
            timestamp: new Date(p.clock.now),
          })
        ).encode(),
      );
    const res = await requestFrom(p.app, address, `/dap/tasks/${task.id}/reports`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dap-report' },
      body,
    });
    if (res.status === 201) accepted++;
    else if (res.status === 429) {
      refused++;
      refusedBody.set(address, body);
    }
  }
  return { accepted, refused };
}

async function ranking(p: Pair, task: DapTask) {
  p.clock.now = T0 + 25 * HOUR;
  const res = await p.collect(task.id);
  if (res.status !== 200) throw new Error(`collect failed: ${await res.text()}`);
  const agg = (await (await p.app.request(`/v1/aggregates?limit=${L}`)).json()) as {
    items: { itemId: string; count: number }[];
  };
  return agg.items;
}

describe('DAP popularity: 1,000 forged reports', () => {
  it('from one address: 10 are taken (the per-address quota), 990 refused, the target gains exactly 10 and stays below the top', async () => {
    // Arrange
    pair = dapPair({ jobSize: 50, reportsPerAddress: 10 });
    const task = histogramTask({ items: L, sigma: 1, minBatch: 10 });
    await pair.publish(task);
    const truth = await honestVisitors(pair, task);

    // Act
    const { accepted, refused } = await forge(pair, task, 1000, ['198.18.0.1']);
    const items = await ranking(pair, task);

    // Assert
    expect(accepted).toBe(10);
    expect(refused).toBe(990);
    expect((await pair.stats('leader', task.id)).rejections).toEqual({ quota_exceeded: 990 });
    const target = items.find((i) => i.itemId === `item-${TARGET}`)?.count ?? Number.NaN;
    // truth 2 + 10 forged, plus noise N(0, 2·1²): within 5 standard deviations.
    expect(Math.abs(target - ((truth[TARGET] ?? 0) + 10))).toBeLessThan(5 * Math.SQRT2);
    expect(items[0]?.itemId).toBe('item-0');
  });

  it('from 3 addresses: 30 are taken and the least popular item is first, as 30 real visitors would make it', async () => {
    // Arrange
    pair = dapPair({ jobSize: 50, reportsPerAddress: 10 });
    const task = histogramTask({ items: L, sigma: 1, minBatch: 10 });
    await pair.publish(task);
    await honestVisitors(pair, task);

    // Act
    const { accepted } = await forge(pair, task, 1000, ['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    const items = await ranking(pair, task);

    // Assert: 2 + 30 = 32 against the top item's 24.
    expect(accepted).toBe(30);
    expect(items[0]?.itemId).toBe(`item-${TARGET}`);
  });
});
