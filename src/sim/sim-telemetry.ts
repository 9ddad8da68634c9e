/**
 * LDP telemetry in `hearth simulate`: every training event is reported through the real OLH
 * client and privacy gate; the server's estimates then rank items as a "most popular"
 * recommender next to true popularity (Wang et al. 2017, OLH).
 */
import type { Split } from '../eval/split.ts';
import { createPrivacyGate, type GateFetch } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage } from '../privacy/ledger.ts';
import { createTelemetryClient } from '../privacy/telemetry-client.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import { seededRng } from '../shared/rng.ts';
import { evaluatePopularity, type ReportSection, topOverlap } from './sim-eval.ts';

/** Reports every training event of `split` with OLH and scores the server's estimates. */
export async function runTelemetry(
  split: Split,
  options: {
    readonly telemetryEpsilon: number;
    readonly seed: number;
    readonly log: (m: string) => void;
  },
  transport: { fetch: GateFetch; base: string },
): Promise<{ report: ReportSection; estimated: Float32Array }> {
  const { log } = options;
  const t0 = performance.now();
  let reports = 0;
  const perClientEpsilon: number[] = [];
  for (let u = 0; u < split.users.length; u++) {
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: Number.POSITIVE_INFINITY, lifetimeEpsilon: Number.POSITIVE_INFINITY },
    });
    const gate = createPrivacyGate({ ledger, fetch: transport.fetch, consent: true });
    const client = createTelemetryClient({
      gate,
      url: `${transport.base}/v1/telemetry`,
      epsilon: options.telemetryEpsilon,
      maxBatch: 500,
      rng: seededRng(options.seed * 7919 + u),
      schedule: () => undefined,
    });
    for (const row of split.train[u] ?? []) client.report(split.itemIds[row] ?? '');
    while (client.pending > 0) reports += await client.flush();
    perClientEpsilon.push((await ledger.spent()).lifetime.epsilon);
  }
  log(`telemetry: ${reports} OLH reports sent; estimating`);
  const res = await transport.fetch(
    `${transport.base}/v1/aggregates?limit=${split.itemIds.length}`,
    { method: 'GET' },
  );
  const agg = AggregatesSchema.parse(await res.json());
  const index = new Map(split.itemIds.map((id, i) => [id, i]));
  const estimated = new Float32Array(split.itemIds.length);
  for (const item of agg.items) estimated[index.get(item.itemId) ?? 0] = item.count;
  const truth = new Float32Array(split.itemIds.length);
  for (const rows of split.train) for (const r of rows) truth[r] = (truth[r] ?? 0) + 1;
  const ldp = await evaluatePopularity(split, estimated);
  const exact = await evaluatePopularity(split, truth);
  const report = {
    epsilonPerReport: options.telemetryEpsilon,
    reports,
    epsilonPerClientMean: perClientEpsilon.reduce((a, b) => a + b, 0) / perClientEpsilon.length,
    ldpPopularity: ldp,
    truePopularity: exact,
    ndcgRatio: ldp.ndcg10 / exact.ndcg10,
    top100Overlap: topOverlap(estimated, truth, 100),
    seconds: (performance.now() - t0) / 1000,
  };
  return { report, estimated };
}
