/**
 * The 16-update attack of issue 12 against the DAP ranker path (the LDP version is in
 * test/server/attacks.test.ts: there one client moved a ranker weight from 0 to 158.9 with 16
 * crafted updates). Here the forger sends well-formed ranker-update reports made with the
 * maintained library at the largest value the proof allows on weight f0 (2^bits − 1 in its
 * positive half) and 0 in the count entry, so nothing dilutes the push. What bounds it: the Prio3
 * proof (every entry in [0, 2^bits); a larger one is rejected), and the leader's per-address quota
 * per task (the honest client itself sends one report per task and window: dap-client.test.ts).
 * The bound the accounting states for the released FedAvg step on one weight is then
 * `accepted · (2^bits − 1) / (scale · max(1, noisy count))`: the same honest reports and the same
 * seeded noise are released with and without the attack, so the difference is exactly the forged
 * reports' share.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measurementBits } from '../../../src/privacy/dap-accounting.ts';
import { rhoForBudget } from '../../../src/privacy/rdp.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { DEFAULT_REPORTS_PER_ADDRESS } from '../../../src/server/dap/leader.ts';
import type { CollectSummary } from '../../../src/server/dap/publish.ts';
import { seededRng } from '../../../src/shared/rng.ts';
import { dapTaskDocument } from '../../../src/sim/dap-task-document.ts';
import { DAP_RANKER } from '../../../src/sim/sim-dap.ts';
import { base64url } from '../../../src/wire/dap/tls.ts';
import { encodeRankerDelta } from '../../../src/wire/dap-measurement.ts';
import { modelUploadBody } from '../../../src/wire/model-upload.ts';
import { poolAddress, requestFrom } from '../../../support/server-attacks.ts';
import { forgeReport } from './forge.ts';
import { ADMIN, clientAt, dapPair, HELPER, HOUR, LEADER, T0 } from './helpers.ts';

const FEATURES = Array.from({ length: 10 }, (_, i) => `f${i}`);

type Pair = ReturnType<typeof dapPair>;
let pairs: Pair[] = [];
afterEach(() => {
  for (const p of pairs) p.close();
  pairs = [];
});

/** The demo's ranker task (clip 0.5, scale 64) over 10 weights at ε per report `epsilon`. */
function rankerTask(epsilon: number): DapTask {
  return dapTaskDocument(
    base64url(new Uint8Array(32).fill(77)),
    'ranker update',
    { kind: 'ranker-update', modelVersion: 0, features: FEATURES, ...DAP_RANKER },
    rhoForBudget(epsilon, 1e-6),
    {
      leader: LEADER,
      helper: HELPER,
      window: { start: T0, end: T0 + 24 * HOUR },
      timePrecisionSeconds: 3600,
      minBatch: 10,
    },
  );
}

type Measurement = Extract<DapTask['measurement'], { kind: 'ranker-update' }>;
const measurementOf = (task: DapTask): Measurement => {
  if (task.measurement.kind !== 'ranker-update') throw new Error('a ranker task');
  return task.measurement;
};

/** The largest entry the proof lets through: 2^bits − 1. */
const largest = (task: DapTask) => 2 ** measurementBits(task.measurement) - 1;

/** A forged report: `value` on f0's positive half, 0 everywhere else, count entry 0. */
const push = (value: number) => {
  const v = new Array<number>(2 * FEATURES.length + 1).fill(0);
  v[0] = value;
  return v;
};

/** The forgery: what each forged report carries and from which addresses they come. */
interface Attack {
  readonly reports: number;
  readonly addresses: number;
  /** 'max': 2^bits − 1 (a valid proof); 'over': 2^bits, past the proof's range. */
  readonly value: 'max' | 'over';
}

/**
 * One round: ranker v0 = zeros, `HONEST` honest reports (seeded small deltas), the attack, the
 * collection; returns ranker v1's weights, the released summary and the forged reports taken.
 */
async function round(epsilon: number, honestReports: number, attack: Attack | null) {
  const p = dapPair({ jobSize: 64, reportsPerAddress: DEFAULT_REPORTS_PER_ADDRESS });
  pairs.push(p);
  const upload = await p.app.request('/v1/admin/model', {
    method: 'PUT',
    headers: ADMIN,
    body: JSON.stringify(
      modelUploadBody('ranker', new Float32Array(FEATURES.length), {
        kind: 'ranker',
        features: FEATURES,
      }),
    ),
  });
  expect(upload.status).toBe(201);
  const task = rankerTask(epsilon);
  await p.publish(task);
  const m = measurementOf(task);
  const rng = seededRng(11);
  const honest = p.client(task);
  for (let h = 0; h < honestReports; h++) {
    const delta = FEATURES.map(() => (rng() - 0.5) * 0.2);
    await honest.sendMeasurement(encodeRankerDelta(m, delta, rng), {
      timestamp: new Date(p.clock.now),
    });
  }
  let taken = 0;
  for (let i = 0; attack !== null && i < attack.reports; i++) {
    const address = poolAddress(0, i % attack.addresses);
    let status: number;
    if (attack.value === 'max') {
      try {
        await clientAt(p, task, address).sendMeasurement(push(largest(task)), {
          timestamp: new Date(p.clock.now),
        });
        status = 201;
      } catch {
        status = 429;
      }
    } else {
      // Past the range the library refuses to encode: the forger writes the bits itself, with a
      // 2 in f0's top bit (2·2^(bits−1) = 2^bits), and the proof over the bits cannot verify.
      const bits = measurementBits(m);
      const entries = push(0).flatMap((v) => Array.from({ length: bits }, (_, b) => (v >> b) & 1));
      entries[bits - 1] = 2;
      const { body } = await forgeReport(p.clientFetch, task, {
        entries,
        timeMs: p.clock.now,
      });
      const res = await requestFrom(p.app, address, `/dap/tasks/${task.id}/reports`, {
        method: 'PUT',
        headers: { 'content-type': 'application/dap-report' },
        body,
      });
      status = res.status;
    }
    if (status === 201) taken++;
  }
  p.clock.now = T0 + 25 * HOUR;
  const res = await p.collect(task.id);
  if (res.status !== 200) throw new Error(`collect failed (${res.status}): ${await res.text()}`);
  const summary = (await res.json()) as CollectSummary;
  const models = (await (await p.app.request('/v1/model?name=ranker')).json()) as {
    models: { version: number; data: string }[];
  };
  const latest = models.models[0];
  if (latest?.version !== 1) throw new Error('the ranker task did not publish version 1');
  const weights = Array.from(
    new Float32Array(Uint8Array.from(Buffer.from(latest.data, 'base64')).buffer),
  );
  const stats = await p.stats('leader', task.id);
  return { weights, summary, taken, task, stats };
}

const noisyCount = (s: CollectSummary) =>
  s.published.kind === 'ranker' ? s.published.noisyCount : NaN;

/**
 * At the demo's noise (ε = 0.25 per report, σ ≈ 588 per aggregator) a batch of 16 visitors has a
 * released count lost in the noise: the collector refuses the step, so neither the honest
 * reports nor a forger move the ranker at all.
 */
describe('DAP ranker at the demo noise (ε = 0.25 per report)', () => {
  it('refuses to apply a step whose released count is within its noise, with or without 16 forged reports', async () => {
    for (const attack of [null, { reports: 16, addresses: 16, value: 'max' } as const]) {
      // Arrange + Act
      const refused = await round(0.25, 16, attack).then(
        () => null,
        (e: Error) => e.message,
      );
      // Assert
      expect(refused).toMatch(/collect failed \(409\).*too_noisy.*nothing was applied/);
    }
  });
});

/** Low noise (ε = 8 per report, σ ≈ 24): 80 honest visitors make the released count meaningful. */
describe('DAP ranker: the 16-update attack at low noise (ε = 8 per report)', () => {
  const epsilon = 8;
  const honest = 80;
  it('one address with 16 forged max-entry reports: the leader takes 10 (its quota), f0 moves by exactly 10·(2^bits − 1)/(scale·max(1, N)), nothing else moves', async () => {
    // Arrange + Act
    const clean = await round(epsilon, honest, null);
    const attacked = await round(epsilon, honest, { reports: 16, addresses: 1, value: 'max' });
    // Assert
    expect(attacked.taken).toBe(DEFAULT_REPORTS_PER_ADDRESS);
    expect(attacked.stats.rejections).toEqual({ quota_exceeded: 16 - DEFAULT_REPORTS_PER_ADDRESS });
    const m = measurementOf(clean.task);
    const n = Math.max(1, noisyCount(clean.summary));
    expect(noisyCount(attacked.summary)).toBe(noisyCount(clean.summary));
    const bound = (attacked.taken * largest(clean.task)) / (m.scale * n);
    const moved = (attacked.weights[0] ?? 0) - (clean.weights[0] ?? 0);
    expect(moved).toBeCloseTo(bound, 4);
    expect(attacked.weights.slice(1)).toEqual(clean.weights.slice(1));
  });

  it('16 addresses with one forged max-entry report each: all 16 taken, f0 moves by exactly 16·(2^bits − 1)/(scale·max(1, N))', async () => {
    // Arrange + Act
    const clean = await round(epsilon, honest, null);
    const attacked = await round(epsilon, honest, { reports: 16, addresses: 16, value: 'max' });
    // Assert
    expect(attacked.taken).toBe(16);
    const m = measurementOf(clean.task);
    const n = Math.max(1, noisyCount(clean.summary));
    const bound = (16 * largest(clean.task)) / (m.scale * n);
    expect((attacked.weights[0] ?? 0) - (clean.weights[0] ?? 0)).toBeCloseTo(bound, 4);
  });

  it('16 forged reports past the proof range are rejected in aggregation and move nothing', async () => {
    // Arrange + Act
    const clean = await round(epsilon, honest, null);
    const attacked = await round(epsilon, honest, { reports: 16, addresses: 16, value: 'over' });
    // Assert: taken at upload (the leader cannot read a share), rejected by the proof.
    expect(attacked.taken).toBe(16);
    expect(attacked.stats.rejections).toEqual({ vdaf_prep_error: 16 });
    expect(attacked.summary.reports).toBe(honest);
    expect(attacked.weights).toEqual(clean.weights);
  });
});
