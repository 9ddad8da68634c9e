/**
 * Collection rules: only a closed window, only a batch of at least minBatch verified reports (on
 * each aggregator independently), each batch released once with its noise drawn once, no report
 * added to a batch after its collection began, a retried aggregation job counted once; and the
 * DAP-09 collection and helper endpoints as a foreign collector or leader would use them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAP_HPKE_SUITE } from '../../../src/server/dap/hpke.ts';
import { createPrepCore } from '../../../src/server/dap/prep-core.ts';
import { addToChecksum, batchInterval } from '../../../src/server/dap/tasks.ts';
import { encodeAggregateShareReq, encodeCollectionReq } from '../../../src/wire/dap/collection.ts';
import { fromBase64url } from '../../../src/wire/dap/tls.ts';
import { DAP_MEDIA } from '../../../src/wire/dap/upload.ts';
import { forgeReport } from './forge.ts';
import {
  ADMIN_TOKEN,
  dapPair,
  HELPER,
  HOUR,
  histogramTask,
  multiHot,
  PEER_TOKEN,
  T0,
} from './helpers.ts';

let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

async function setup(reports: number, minBatch = 3) {
  pair = dapPair({ jobSize: 4 });
  const task = histogramTask({ minBatch });
  await pair.publish(task);
  const client = pair.client(task);
  for (let r = 0; r < reports; r++)
    await client.sendMeasurement(multiHot(12, [r % 12]), {
      timestamp: new Date(pair.clock.now),
    });
  return { p: pair, task };
}

function helperShareRequest(
  task: ReturnType<typeof histogramTask>,
  count: number,
  checksum: Uint8Array,
  token = PEER_TOKEN,
) {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': DAP_MEDIA.aggregateShareReq },
    body: encodeAggregateShareReq({
      interval: batchInterval(task),
      aggregationParameter: new Uint8Array(0),
      reportCount: BigInt(count),
      checksum,
    }),
  };
}

describe('DAP collection', () => {
  it('refuses to collect an open window and leaves it open to reports', async () => {
    // Arrange
    const { p, task } = await setup(4);

    // Act
    const res = await p.collect(task.id);
    const late = await p.client(task).sendMeasurement(multiHot(12, [1]), {
      timestamp: new Date(p.clock.now),
    });

    // Assert
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      `window is open until ${new Date(T0 + 24 * HOUR).toISOString()}`,
    );
    expect(late).toBeUndefined();
    expect((await p.stats('leader', task.id)).closed).toBe(false);
  });

  it('refuses a batch below minBatch on the leader and releases nothing', async () => {
    // Arrange
    const { p, task } = await setup(2, 3);
    p.clock.now = T0 + 25 * HOUR;

    // Act
    const res = await p.collect(task.id);

    // Assert
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'has 2 verified reports, its minimum batch is 3; nothing was released',
    );
    expect((await p.stats('leader', task.id)).batch.released).toBe(false);
    expect((await p.stats('helper', task.id)).batch.released).toBe(false);
  });

  it('has the helper enforce minBatch itself (a leader asking for a 2-report batch gets invalidBatchSize)', async () => {
    // Arrange
    const { p, task } = await setup(2, 3);
    await p.dap.driver.drain(task.id);
    const checksum = p.dap.storage.batch(task.id).checksum;

    // Act
    const res = await p.helperApp.request(
      `${HELPER}tasks/${task.id}/aggregate_shares`,
      helperShareRequest(task, 2, checksum),
    );

    // Assert
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:invalidBatchSize',
      taskid: task.id,
    });
  });

  it('has the helper refuse a count or checksum that differs from its own (batchMismatch)', async () => {
    // Arrange
    const { p, task } = await setup(4);
    await p.dap.driver.drain(task.id);
    const checksum = p.dap.storage.batch(task.id).checksum;

    // Act
    const wrongCount = await p.helperApp.request(
      `${HELPER}tasks/${task.id}/aggregate_shares`,
      helperShareRequest(task, 3, checksum),
    );
    const wrongSum = await p.helperApp.request(
      `${HELPER}tasks/${task.id}/aggregate_shares`,
      helperShareRequest(task, 4, addToChecksum(checksum, [new Uint8Array(16)])),
    );

    // Assert
    for (const res of [wrongCount, wrongSum]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        type: 'urn:ietf:params:ppm:dap:error:batchMismatch',
      });
    }
  });

  it('releases each batch once: the helper answers a repeated request with the same bytes and any other with batchQueriedTooManyTimes', async () => {
    // Arrange
    const { p, task } = await setup(4);
    await p.dap.driver.drain(task.id);
    const checksum = p.dap.storage.batch(task.id).checksum;
    const url = `${HELPER}tasks/${task.id}/aggregate_shares`;

    // Act
    const first = await p.helperApp.request(url, helperShareRequest(task, 4, checksum));
    const again = await p.helperApp.request(url, helperShareRequest(task, 4, checksum));
    const other = await p.helperApp.request(
      url,
      helperShareRequest(task, 3, addToChecksum(checksum, [new Uint8Array(16)])),
    );

    // Assert: the noise was drawn once; the stored answer is returned, never redrawn.
    expect(first.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer())).toEqual(Buffer.from(await first.arrayBuffer()));
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:batchQueriedTooManyTimes',
    });
  });

  it('publishes once: a second collect answers the first release (fresh: false) and the leader noise is not redrawn', async () => {
    // Arrange
    const { p, task } = await setup(4);
    p.clock.now = T0 + 25 * HOUR;

    // Act
    const first = (await (await p.collect(task.id)).json()) as { fresh: boolean; reports: number };
    const share = p.dap.storage.batch(task.id).releasedShare;
    const aggFirst = await (await p.app.request('/v1/aggregates?limit=12')).text();
    const second = (await (await p.collect(task.id)).json()) as { fresh: boolean };
    const aggSecond = await (await p.app.request('/v1/aggregates?limit=12')).text();

    // Assert
    expect(first).toMatchObject({ fresh: true, reports: 4 });
    expect(second).toMatchObject({ fresh: false, reports: 4 });
    expect(p.dap.storage.batch(task.id).releasedShare).toEqual(share);
    expect(aggSecond).toBe(aggFirst);
  });

  it('refuses reports to a batch whose collection began (batch_collected)', async () => {
    // Arrange
    const { p, task } = await setup(4);
    p.clock.now = T0 + 25 * HOUR;
    await p.collect(task.id);

    // Act: a late client whose report is dated inside the window.
    const late = p
      .client(task)
      .sendMeasurement(multiHot(12, [1]), { timestamp: new Date(T0 + 2 * HOUR) });

    // Assert
    await expect(late).rejects.toThrow(/reportRejected/);
    expect((await p.stats('leader', task.id)).rejections).toEqual({ batch_collected: 1 });
  });

  it('answers the collector protocol: 202 while aggregating, then the Collection, to the admin token only', async () => {
    // Arrange
    const { p, task } = await setup(4);
    p.clock.now = T0 + 25 * HOUR;
    const url = `/dap/tasks/${task.id}/collection_jobs/job-1`;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const query = encodeCollectionReq({
      interval: batchInterval(task),
      aggregationParameter: new Uint8Array(0),
    });

    // Act
    const anonymous = await p.app.request(url, {
      method: 'PUT',
      headers: { 'content-type': DAP_MEDIA.collectReq },
      body: query,
    });
    const put = await p.app.request(url, {
      method: 'PUT',
      headers: { ...auth, 'content-type': DAP_MEDIA.collectReq },
      body: query,
    });
    const poll = await p.app.request(url, { method: 'POST', headers: auth });
    await p.dap.driver.drain(task.id);
    let done = poll;
    for (let i = 0; i < 100 && done.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 10));
      done = await p.app.request(url, { method: 'POST', headers: auth });
    }

    // Assert
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:unauthorizedRequest',
    });
    expect(put.status).toBe(201);
    expect(poll.status).toBe(202);
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toBe(DAP_MEDIA.collection);
  });
});

describe('DAP aggregation job retries', () => {
  it('answers a retried aggregation job with its stored answer and counts its reports once', async () => {
    // Arrange: a job built the way the leader builds it, from reports sealed to both aggregators.
    pair = dapPair();
    const task = histogramTask();
    await pair.publish(task);
    const reports = [];
    for (let i = 0; i < 3; i++) {
      const r = await forgeReport(pair.clientFetch, task, {
        entries: multiHot(12, [i]),
        timeMs: pair.clock.now,
      });
      reports.push({ reportId: r.reportId, body: r.body });
    }
    const leaderKey = pair.dap.storage.key('leader');
    const verifyKey = pair.helperStorage.tasks()[0]?.verifyKey;
    if (leaderKey === null || verifyKey === undefined) throw new Error('keys missing');
    const init = await createPrepCore().leaderInit(
      'retry',
      {
        taskId: fromBase64url(task.id) ?? new Uint8Array(32),
        vdaf: task.vdaf,
        verifyKey,
        key: {
          config: { id: leaderKey.configId, ...DAP_HPKE_SUITE, publicKey: leaderKey.publicKey },
          privateKey: leaderKey.privateKey,
        },
      },
      reports,
    );
    const put = (body: Uint8Array) =>
      pair?.helperApp.request(`${HELPER}tasks/${task.id}/aggregation_jobs/job-retry`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${PEER_TOKEN}`,
          'content-type': DAP_MEDIA.aggregationJobInitReq,
        },
        body: new Uint8Array(body),
      });

    // Act
    const first = await put(init.request);
    const retry = await put(init.request);
    const other = await put(init.request.subarray(0, init.request.length - 1));

    // Assert
    expect(first?.status).toBe(201);
    const bytes = async (res: Response | undefined) =>
      new Uint8Array((await res?.arrayBuffer()) ?? new ArrayBuffer(0));
    expect(await bytes(retry)).toEqual(await bytes(first));
    expect(other?.status).toBe(409);
    const stats = await pair.stats('helper', task.id);
    expect(stats.batch.reports).toBe(3);
    expect(stats.rejections).toEqual({});
  });
});
