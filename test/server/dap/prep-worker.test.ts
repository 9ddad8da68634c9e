import { afterEach, describe, expect, it } from 'vitest';
import { generateHpkeKeypair, type HpkeKeypair } from '../../../src/server/dap/hpke.ts';
import {
  createPrepCore,
  type PrepEngine,
  PrepStateLostError,
} from '../../../src/server/dap/prep-core.ts';
import { createPrepWorker } from '../../../src/server/dap/prep-engine.ts';
import { fromBase64url } from '../../../src/wire/dap/tls.ts';
import { encodeHpkeConfigList } from '../../../src/wire/dap/upload.ts';
import { forgeReport } from './forge.ts';
import { HELPER, histogramTask, multiHot, T0 } from './helpers.ts';

let worker: PrepEngine | null = null;
afterEach(async () => {
  await worker?.close();
  worker = null;
});

/** A fetch that serves the two aggregators' HPKE configs (all a forger needs). */
function configFetch(leader: HpkeKeypair, helper: HpkeKeypair) {
  return async (input: RequestInfo | URL) => {
    const url = String(input instanceof Request ? input.url : input);
    const key = url.startsWith(HELPER) ? helper : leader;
    return new Response(encodeHpkeConfigList([key.config]), {
      headers: { 'content-type': 'application/dap-hpke-config-list' },
    });
  };
}

describe('preparation in a worker thread', () => {
  it('answers an aggregation job byte for byte like the in-thread engine, and rebuilds named errors', async () => {
    // Arrange
    const task = histogramTask();
    const leaderKey = generateHpkeKeypair(1);
    const helperKey = generateHpkeKeypair(2);
    const fetch = configFetch(leaderKey, helperKey);
    const reports = [];
    for (let i = 0; i < 3; i++) {
      const r = await forgeReport(fetch, task, { entries: multiHot(12, [i]), timeMs: T0 });
      reports.push({ reportId: r.reportId, body: r.body });
    }
    const shared = {
      taskId: fromBase64url(task.id) ?? new Uint8Array(32),
      vdaf: task.vdaf,
      verifyKey: new Uint8Array(16).fill(4),
    };
    const core = createPrepCore();
    const init = await core.leaderInit('job', { ...shared, key: leaderKey }, reports);
    worker = createPrepWorker();

    // Act
    const inThread = await core.helperPrepare(
      { ...shared, key: helperKey },
      init.request,
      [],
      null,
    );
    const inWorker = await worker.helperPrepare(
      { ...shared, key: helperKey },
      init.request,
      [],
      null,
    );
    const lost = worker.leaderFinish(
      'no-such-job',
      { ...shared, key: leaderKey },
      inWorker.response,
      null,
    );

    // Assert
    expect(init.included).toHaveLength(3);
    expect(Buffer.from(inWorker.response)).toEqual(Buffer.from(inThread.response));
    expect(Buffer.from(inWorker.share ?? [])).toEqual(Buffer.from(inThread.share ?? []));
    expect(inWorker.accepted).toHaveLength(3);
    await expect(lost).rejects.toBeInstanceOf(PrepStateLostError);
  });
});
