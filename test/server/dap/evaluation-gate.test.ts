/**
 * The collector's half of the federated evaluation gate (issue 13 item 4) on the leader and helper
 * in process: a model-evaluation release becomes noisy counts and a promotion decision (noise σ√2
 * from the task), `POST /v1/admin/promote` serves a `cooccurrence` candidate only on an evaluation
 * that shows an improvement against what is served now, an operator override needs a reason and is
 * stored, and `hearth collect` prints the decision.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeRelease } from '../../../src/cli/collect.ts';
import { type PromotionDecision, promotionDecision } from '../../../src/models/promotion.ts';
import {
  sampleDiscreteGaussians,
  seededRandomBelow,
} from '../../../src/privacy/discrete-gaussian.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import type { CollectSummary } from '../../../src/server/dap/publish.ts';
import { dapTaskDocument } from '../../../src/sim/dap-task-document.ts';
import { base64url } from '../../../src/wire/dap/tls.ts';
import { type EvaluationOutcome, encodeEvaluation } from '../../../src/wire/dap-measurement.ts';
import { cooccurrenceUpload } from '../../federated/support/cooccurrence-models.ts';
import { ADMIN, dapPair, HELPER, HOUR, LEADER, T0 } from './helpers.ts';

const ITEMS = ['a', 'b', 'c', 'd'];
/** ρ = 0.5 per report: σ = 1 per aggregator (sensitivity 1), σ√2 per released count. */
const RHO = 0.5;

let pair: ReturnType<typeof dapPair> | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

type Pair = ReturnType<typeof dapPair>;

async function uploadCandidate(p: Pair): Promise<void> {
  const res = await p.app.request('/v1/admin/model', {
    method: 'PUT',
    headers: ADMIN,
    body: JSON.stringify(cooccurrenceUpload(ITEMS, [['a', 'b', 5]])),
  });
  expect(res.status).toBe(201);
}

function promote(p: Pair, extra: object = {}) {
  return p.app.request('/v1/admin/promote', {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ v: 1, kind: 'promote', name: 'cooccurrence', ...extra }),
  });
}

/** How many visitors report each outcome. */
type Outcomes = Readonly<Record<EvaluationOutcome, number>>;

/**
 * Publishes an evaluation task (window `day` days after T0), sends one report per visitor for
 * `outcomes`, collects it after the window and returns the release summary and the true sum.
 */
async function evaluate(
  p: Pair,
  m: { candidate: number; served: number | null },
  outcomes: Outcomes,
  day = 0,
): Promise<{ summary: CollectSummary; truth: number[]; task: DapTask }> {
  const start = T0 + day * 24 * HOUR;
  const task = dapTaskDocument(
    base64url(new Uint8Array(32).fill(40 + day)),
    `evaluate cooccurrence v${m.candidate}`,
    { kind: 'model-evaluation', model: 'cooccurrence', k: 10, ...m },
    RHO,
    {
      leader: LEADER,
      helper: HELPER,
      window: { start, end: start + 24 * HOUR },
      timePrecisionSeconds: 3600,
      minBatch: 3,
    },
  );
  await p.publish(task);
  p.clock.now = start + HOUR;
  const client = p.client(task);
  const truth = [0, 0, 0];
  for (const outcome of ['candidate', 'served', 'tie'] as const) {
    for (let i = 0; i < outcomes[outcome]; i++) {
      const vector = encodeEvaluation(outcome);
      vector.forEach((v, j) => {
        truth[j] = (truth[j] ?? 0) + v;
      });
      await client.sendMeasurement(vector, { timestamp: new Date(p.clock.now) });
    }
  }
  p.clock.now = start + 25 * HOUR;
  const res = await p.collect(task.id);
  if (res.status !== 200) throw new Error(`collect failed: ${await res.text()}`);
  return { summary: (await res.json()) as CollectSummary, truth, task };
}

/** A fresh pair with cooccurrence v0 uploaded and evaluated against nothing served. */
async function evaluatedCandidate(outcomes: Outcomes) {
  const p = dapPair({ jobSize: 50 });
  pair = p;
  await uploadCandidate(p);
  return { p, ...(await evaluate(p, { candidate: 0, served: null }, outcomes)) };
}

const evaluationOf = (s: CollectSummary) => {
  if (s.published.kind !== 'evaluation') throw new Error(`not an evaluation: ${s.published.kind}`);
  return s.published;
};

describe('collecting a model-evaluation task', () => {
  it('stores the noisy counts and the promotion decision, with noise σ√2 from the task', async () => {
    // Arrange + Act
    const { summary, truth, task } = await evaluatedCandidate({ candidate: 12, served: 1, tie: 3 });
    // Assert: the released counts are the true ones plus one seeded draw of each aggregator.
    const e = evaluationOf(summary);
    const [leaderNoise, helperNoise] = [101, 202].map((seed) =>
      sampleDiscreteGaussians(3, task.noise.sigma, seededRandomBelow(seed)).map(Number),
    );
    const released = truth.map((t, j) => t + (leaderNoise?.[j] ?? 0) + (helperNoise?.[j] ?? 0));
    expect([e.counts.candidate, e.counts.served, e.counts.tie]).toEqual(released);
    expect(e.noise).toBeCloseTo(task.noise.sigma * Math.SQRT2, 12);
    expect(task.noise.sigma).toBeCloseTo(1, 12);
    expect(e.decision).toEqual(promotionDecision({ ...e.counts, noise: e.noise }));
    expect(e.decision.promote).toBe(true);
    expect(summary).toMatchObject({ kind: 'model-evaluation', reports: 16 });
    expect(e).toMatchObject({ model: 'cooccurrence', candidate: 0, served: null, k: 10 });
  });

  it('has hearth collect print the decision', async () => {
    // Arrange
    const { summary } = await evaluatedCandidate({ candidate: 4, served: 4, tie: 2 });
    // Act
    const text = describeRelease(summary);
    // Assert
    const { decision } = evaluationOf(summary);
    expect(text).toContain(
      'federated evaluation of cooccurrence v0 against the engine without it (held-out item within the top 10)',
    );
    expect(text).toContain(`decision: ${decision.reason}`);
    expect(decision.reason).toMatch(/^keep the served model: the candidate's lead/);
    expect(text).toContain(
      'POST /v1/admin/promote refuses cooccurrence v0 (unless overridden with a reason)',
    );
  });
});

describe('POST /v1/admin/promote: the federated evaluation gate on cooccurrence', () => {
  it('refuses a candidate with no evaluation yet, saying to run an evaluation task or override', async () => {
    // Arrange
    pair = dapPair();
    await uploadCandidate(pair);
    // Act
    const res = await promote(pair);
    // Assert
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('evaluation_required');
    expect(body.error.message).toContain(
      "model 'cooccurrence' version 0 has no federated evaluation yet",
    );
    expect(body.error.message).toContain(
      "Publish a model-evaluation task { model: 'cooccurrence', candidate: 0, served: null }",
    );
    expect(body.error.message).toContain('{"override": true, "reason": "..."}');
    expect(pair.serverStorage.latestVersion('cooccurrence.served')).toBeNull();
  });

  it('promotes a candidate whose latest evaluation shows an improvement, and stores the evidence', async () => {
    // Arrange
    const { p, summary } = await evaluatedCandidate({ candidate: 12, served: 1, tie: 3 });
    // Act
    const res = await promote(p, { version: 0 });
    // Assert
    expect(res.status).toBe(201);
    const body = (await res.json()) as { name: string; version: number; evaluation: string };
    expect(body).toMatchObject({ name: 'cooccurrence.served', version: 0, from: 0 });
    expect(body.evaluation).toContain(`federated evaluation task ${summary.taskId} (16 reports)`);
    expect(body.evaluation).toContain(evaluationOf(summary).decision.reason);
    const trail = await (
      await p.app.request('/v1/admin/promotions?name=cooccurrence', { headers: ADMIN })
    ).json();
    expect(trail).toEqual({
      promotions: [
        {
          name: 'cooccurrence',
          from: 0,
          served: 0,
          at: p.clock.now,
          override: false,
          reason: null,
          evidence: body.evaluation,
        },
      ],
    });
  });

  it('refuses a candidate whose latest evaluation did not show an improvement, with the counts and the lower bound', async () => {
    // Arrange
    const { p, summary } = await evaluatedCandidate({ candidate: 4, served: 4, tie: 2 });
    const decision: PromotionDecision = evaluationOf(summary).decision;
    // Act
    const res = await promote(p);
    // Assert
    expect(res.status).toBe(409);
    const { message } = ((await res.json()) as { error: { message: string } }).error;
    expect(message).toContain(
      `refused: 'cooccurrence' version 0 did not show an improvement over no cooccurrence.served: lead ${decision.lead.toFixed(1)}, lower bound ${decision.lowerBound.toFixed(1)} (must be > 0)`,
    );
    const { counts } = evaluationOf(summary);
    expect(message).toContain(
      `candidate better ${counts.candidate.toFixed(1)}, served better ${counts.served.toFixed(1)}, ties ${counts.tie.toFixed(1)}`,
    );
    expect(p.serverStorage.latestVersion('cooccurrence.served')).toBeNull();
  });

  it('judges by the latest evaluation of the candidate: a later one without improvement refuses', async () => {
    // Arrange: a first window shows an improvement, a second one (released later) does not.
    pair = dapPair({ jobSize: 50 });
    await uploadCandidate(pair);
    await evaluate(pair, { candidate: 0, served: null }, { candidate: 12, served: 1, tie: 3 }, 0);
    const later = await evaluate(
      pair,
      { candidate: 0, served: null },
      { candidate: 3, served: 5, tie: 2 },
      1,
    );
    // Act
    const res = await promote(pair);
    // Assert
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(`federated evaluation task ${later.summary.taskId}`);
  });

  it('promotes on an operator override, storing the reason; an override without a reason is refused', async () => {
    // Arrange
    pair = dapPair();
    await uploadCandidate(pair);
    // Act
    const bare = await promote(pair, { override: true });
    const res = await promote(pair, { override: true, reason: 'seeding the demo with a model' });
    // Assert
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain('an override needs a reason');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      name: 'cooccurrence.served',
      version: 0,
      override: { reason: 'seeding the demo with a model' },
    });
    const trail = (await (
      await pair.app.request('/v1/admin/promotions', { headers: ADMIN })
    ).json()) as { promotions: { override: boolean; reason: string; evidence: string }[] };
    expect(trail.promotions).toHaveLength(1);
    expect(trail.promotions[0]).toMatchObject({
      override: true,
      reason: 'seeding the demo with a model',
    });
    expect(trail.promotions[0]?.evidence).toContain('overridden: model');
  });

  it('refuses on an evaluation against another served version than the one devices use now', async () => {
    // Arrange: v0 is served (override); v1 was evaluated against no served model.
    pair = dapPair({ jobSize: 50 });
    await uploadCandidate(pair);
    expect((await promote(pair, { override: true, reason: 'first model' })).status).toBe(201);
    await uploadCandidate(pair);
    await evaluate(pair, { candidate: 1, served: null }, { candidate: 12, served: 1, tie: 3 });
    // Act
    const res = await promote(pair);
    // Assert
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(
      'compared it with no cooccurrence.served, but cooccurrence.served v0 is what devices use now',
    );
  });

  it('leaves models outside the gate (the ranker) to the operator alone', async () => {
    // Arrange
    pair = dapPair();
    await pair.app.request('/v1/admin/model', {
      method: 'PUT',
      headers: ADMIN,
      body: JSON.stringify(cooccurrenceUpload(ITEMS, [], 'ranker-like')),
    });
    // Act
    const res = await promote(pair, { name: 'ranker-like' });
    // Assert
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'ranker-like.served', version: 0, from: 0 });
  });
});
