/** Popularity aggregation off the request path, keyed by content, with retention (issue 11, 12). */
import { describe, expect, it } from 'vitest';
import { olhEncode, olhParams } from '../../src/privacy/olh.ts';
import { createAggregates, domainKey } from '../../src/server/aggregates.ts';
import { DAY_MS, openServerStorage } from '../../src/server/storage.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { telemetryInit } from '../../support/server-attacks.ts';
import { admin, setupApp } from './helpers.ts';

const PARAMS = olhParams(2);

/** `n` OLH reports at ε = 2, all for `item`, seeded. */
function reportsFor(item: string, n: number, seed = 1): [number, number][] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => {
    const r = olhEncode(item, PARAMS, rng);
    return [r.seed, r.value];
  });
}

/** A scheduler that runs nothing until the test says so. */
function manualScheduler() {
  const queue: (() => void)[] = [];
  return {
    schedule: (step: () => void) => void queue.push(step),
    /** Runs queued steps (and the steps they queue); returns how many ran. */
    runAll(): number {
      let ran = 0;
      for (let step = queue.shift(); step !== undefined; step = queue.shift()) {
        step();
        ran++;
      }
      return ran;
    },
  };
}

function service(hashesPerStep: number, now = () => 0) {
  const storage = openServerStorage(':memory:');
  const itemIds = Array.from({ length: 100 }, (_, i) => `item-${i}`);
  const scheduler = manualScheduler();
  const aggregates = createAggregates({
    storage,
    epsilon: 2,
    domain: () => ({ key: domainKey(itemIds), itemIds }),
    now,
    hashesPerStep,
    schedule: scheduler.schedule,
  });
  return { storage, aggregates, scheduler };
}

describe('aggregates: counting off the request path', () => {
  it('never counts reports while answering: the estimate reads the counts as they are', () => {
    // Arrange
    const { storage, aggregates } = service(100_000);
    storage.insertReports(2, reportsFor('item-3', 500), 0);
    aggregates.notify();
    // Act: no background step has run.
    const estimate = aggregates.estimate(5);
    // Assert
    expect(estimate?.reports).toBe(0);
  });

  it('folds new reports in background steps of at most hashesPerStep report × item hashes', () => {
    // Arrange: 100 items and 1,000 hashes per step: 10 reports per step.
    const { storage, aggregates, scheduler } = service(1_000);
    storage.insertReports(2, reportsFor('item-3', 95), 0);
    aggregates.notify();
    // Act
    const steps = scheduler.runAll();
    const estimate = aggregates.estimate(1);
    // Assert: 10 steps of ≤ 10 reports, and one that finds nothing left.
    expect(steps).toBe(11);
    expect(estimate?.reports).toBe(95);
    expect(estimate?.items[0]?.itemId).toBe('item-3');
  });

  it('deletes reports older than the retention and takes them out of the counts (injected clock)', () => {
    // Arrange: 300 reports on day 100 for item-3, then 30 days later 200 for item-7.
    let now = 100 * DAY_MS;
    const { storage, aggregates, scheduler } = service(100_000, () => now);
    storage.insertReports(2, reportsFor('item-3', 300, 1), 100);
    aggregates.notify();
    scheduler.runAll();
    now += 30 * DAY_MS;
    storage.insertReports(2, reportsFor('item-7', 200, 2), 130);
    aggregates.notify();
    scheduler.runAll();
    expect(aggregates.estimate(1)?.reports).toBe(500);
    // Act: one more day and the first batch is past the 30 days.
    now += DAY_MS;
    aggregates.notify();
    scheduler.runAll();
    // Assert
    expect(storage.reportCount()).toBe(200);
    const estimate = aggregates.estimate(100);
    expect(estimate?.reports).toBe(200);
    expect(estimate?.items[0]?.itemId).toBe('item-7');
    // Debiased from the remaining reports alone: item-3's support left with its reports.
    const item3 = estimate?.items.find((i) => i.itemId === 'item-3')?.count ?? Number.NaN;
    expect(Math.abs(item3)).toBeLessThan(60);
  });
});

describe('aggregates over HTTP', () => {
  it('recounts when the catalog changes but keeps its size, first and last id', async () => {
    // Arrange: catalogs [a, x1, z] and [a, y1, z] have the same length, ends and id lengths.
    const { app } = await setupApp();
    const put = (ids: string[]) =>
      app.request('/v1/admin/catalog', {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(ids.map((id) => ({ id, title: id }))),
      });
    await put(['a', 'x1', 'z']);
    await app.request('/v1/telemetry', telemetryInit(reportsFor('x1', 400)));
    const before = await (await app.request('/v1/aggregates?limit=3')).json();
    // Act
    await put(['a', 'y1', 'z']);
    const after = await (await app.request('/v1/aggregates?limit=3')).json();
    // Assert: x1 led; y1 received no report and must not inherit x1's count.
    expect(before.items[0].itemId).toBe('x1');
    const y1 = after.items.find((i: { itemId: string }) => i.itemId === 'y1');
    expect(y1.count).toBeLessThan(100);
  });

  it('deletes expired reports in the background on a server without new reports (injected clock)', async () => {
    // Arrange
    let now = 100 * DAY_MS;
    const { app, storage } = await setupApp(4, {
      now: () => now,
      telemetry: { retentionDays: 30 },
    });
    await app.request('/v1/telemetry', telemetryInit([[1, 2]]));
    // Act: 31 days later a client only reads the estimates.
    now += 31 * DAY_MS;
    await app.request('/v1/aggregates');
    await new Promise((r) => setImmediate(r));
    // Assert
    expect(storage.reportCount()).toBe(0);
  });
});
