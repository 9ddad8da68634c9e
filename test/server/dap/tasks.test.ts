/**
 * Task publication and the ranker path: the leader checks a task with checkDapTask, gives it to
 * the helper first, lists only open tasks, never edits a published task; the helper takes tasks
 * only from the leader (peer token); a ranker-update task's release becomes one FedAvg step on the
 * ranker, stored as a new version and not served until promoted; CORS for browser clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dapRho, reportSensitivity } from '../../../src/privacy/dap-accounting.ts';
import {
  sampleDiscreteGaussians,
  seededRandomBelow,
} from '../../../src/privacy/discrete-gaussian.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { seededRng } from '../../../src/shared/rng.ts';
import { decodeRankerSum, encodeRankerDelta } from '../../../src/wire/dap-measurement.ts';
import { modelUploadBody } from '../../../src/wire/model-upload.ts';
import { ADMIN, dapPair, HELPER, HOUR, histogramTask, T0 } from './helpers.ts';

let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

function rankerTask(): DapTask {
  const measurement = {
    kind: 'ranker-update' as const,
    modelVersion: 0,
    features: ['f0', 'f1'],
    clip: 1,
    scale: 10,
    localSteps: 1,
    learningRate: 0.1,
  };
  const sensitivity = reportSensitivity(measurement);
  const base = histogramTask({ seed: 9, sigma: 0.5 });
  return {
    ...base,
    name: 'ranker update',
    measurement,
    vdaf: { type: 'sumVec', length: 5, bits: 4, chunkLength: 2 },
    noise: {
      mechanism: 'discrete-gaussian',
      sigma: 0.5,
      sensitivity,
      rho: dapRho(sensitivity, 0.5),
    },
  };
}

describe('DAP tasks on the leader and helper', () => {
  it('refuses a task whose declared ρ understates its noise cost, and stores nothing', async () => {
    // Arrange
    pair = dapPair();
    const task = histogramTask();
    const cheap = { ...task, noise: { ...task.noise, rho: task.noise.rho / 2 } };

    // Act
    const res = await pair.app.request('/v1/admin/dap/tasks', {
      method: 'PUT',
      headers: ADMIN,
      body: JSON.stringify(cheap),
    });
    const list = (await (await pair.app.request('/v1/dap/tasks')).json()) as { tasks: unknown[] };

    // Assert
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'understates the cost',
    );
    expect(list.tasks).toEqual([]);
  });

  it('accepts the same task again as a no-op and refuses changed parameters under the same id', async () => {
    // Arrange
    pair = dapPair();
    const task = histogramTask();
    await pair.publish(task);
    const put = (body: unknown) =>
      pair?.app.request('/v1/admin/dap/tasks', {
        method: 'PUT',
        headers: ADMIN,
        body: JSON.stringify(body),
      });

    // Act
    const same = await put(task);
    const changed = await put({ ...task, minBatch: 50 });

    // Assert
    expect(same?.status).toBe(200);
    expect(changed?.status).toBe(409);
  });

  it('lists open tasks only (not after the window closed)', async () => {
    // Arrange
    pair = dapPair();
    const open = histogramTask({ seed: 1 });
    const short = histogramTask({ seed: 2, window: { start: T0, end: T0 + 2 * HOUR } });
    await pair.publish(open);
    await pair.publish(short);

    // Act
    const before = (await (await pair.app.request('/v1/dap/tasks')).json()) as {
      tasks: { id: string }[];
    };
    pair.clock.now = T0 + 3 * HOUR;
    const after = (await (await pair.app.request('/v1/dap/tasks')).json()) as {
      tasks: { id: string }[];
    };

    // Assert
    expect(before.tasks.map((t) => t.id)).toEqual([open.id, short.id]);
    expect(after.tasks.map((t) => t.id)).toEqual([open.id]);
  });

  it('has the helper take tasks only with the peer token (unauthorizedRequest otherwise)', async () => {
    // Arrange
    pair = dapPair();
    const task = histogramTask();

    // Act
    const res = await pair.helperApp.request(`${HELPER}hearth/tasks/${task.id}`, {
      method: 'PUT',
      headers: { authorization: 'Bearer not-the-peer-token', 'content-type': 'application/json' },
      body: JSON.stringify({ task, verifyKey: 'A'.repeat(22), collectorConfig: 'AA' }),
    });

    // Assert
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      type: 'urn:ietf:params:ppm:dap:error:unauthorizedRequest',
    });
  });

  it('answers the browser preflight of a report upload and the cross-origin HPKE config GETs of both aggregators', async () => {
    // Arrange
    const origin = 'https://shop.example';
    pair = dapPair({ corsOrigins: [origin] });
    const task = histogramTask();
    await pair.publish(task);

    // Act
    const preflight = await pair.app.request(`/dap/tasks/${task.id}/reports`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    const leaderConfig = await pair.app.request(`/dap/hpke_config?task_id=${task.id}`, {
      headers: { origin },
    });
    const helperConfig = await pair.helperApp.request(`/dap/hpke_config?task_id=${task.id}`, {
      headers: { origin },
    });
    const stranger = await pair.helperApp.request(`/dap/hpke_config?task_id=${task.id}`, {
      headers: { origin: 'https://evil.example' },
    });

    // Assert
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(leaderConfig.headers.get('access-control-allow-origin')).toBe(origin);
    expect(helperConfig.headers.get('access-control-allow-origin')).toBe(origin);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('turns a ranker-update release into one FedAvg step on the ranker, stored as a new unserved version', async () => {
    // Arrange
    pair = dapPair({ jobSize: 4 });
    const upload = await pair.app.request('/v1/admin/model', {
      method: 'PUT',
      headers: ADMIN,
      body: JSON.stringify(
        modelUploadBody('ranker', Float32Array.of(0.25, -1, 3), {
          kind: 'ranker',
          features: ['f0', 'f2', 'f1'],
        }),
      ),
    });
    expect(upload.status).toBe(201);
    const task = rankerTask();
    await pair.publish(task);
    const m = task.measurement;
    if (m.kind !== 'ranker-update') throw new Error('ranker task expected');
    const client = pair.client(task);
    const rng = seededRng(5);
    const truth = new Array<number>(5).fill(0);
    for (const delta of [
      [0.5, -0.2],
      [0.3, 0.1],
      [-0.1, 0.4],
      [0.2, 0.2],
    ]) {
      const encoded = encodeRankerDelta(m, delta, rng);
      encoded.forEach((v, j) => {
        truth[j] = (truth[j] ?? 0) + v;
      });
      await client.sendMeasurement(encoded, { timestamp: new Date(pair.clock.now) });
    }

    // Act
    pair.clock.now = T0 + 25 * HOUR;
    const res = await pair.collect(task.id);
    const summary = (await res.json()) as { published: { fromVersion: number; toVersion: number } };
    const models = (await (await pair.app.request('/v1/model?name=ranker')).json()) as {
      models: { version: number; data: string }[];
    };
    const served = (await (await pair.app.request('/v1/model?name=ranker.served')).json()) as {
      models: unknown[];
    };

    // Assert: the new version is the old one plus the mean decoded from the noisy sum.
    expect(res.status).toBe(200);
    expect(summary.published).toMatchObject({ fromVersion: 0, toVersion: 1 });
    const noiseL = sampleDiscreteGaussians(5, 0.5, seededRandomBelow(101)).map(Number);
    const noiseH = sampleDiscreteGaussians(5, 0.5, seededRandomBelow(202)).map(Number);
    const released = truth.map((t, j) => t + (noiseL[j] ?? 0) + (noiseH[j] ?? 0));
    const { mean } = decodeRankerSum(m, released);
    const latest = models.models[0];
    expect(latest?.version).toBe(1);
    const raw = Buffer.from(latest?.data ?? '', 'base64');
    const params = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    expect(params[0]).toBeCloseTo(0.25 + (mean[0] ?? 0), 5);
    expect(params[1]).toBe(-1);
    expect(params[2]).toBeCloseTo(3 + (mean[1] ?? 0), 5);
    expect(served.models).toEqual([]);
  });
});
