/**
 * `hearth simulate --mode dap`: secure aggregation with the real client code. Every MovieLens
 * training user is a visitor (or, with `population`, visitors are drawn from them with
 * replacement, each a distinct client with its own report); each has its own ledger, privacy gate
 * and DAP client (src/federated/dap-client.ts) and makes real `@divviup/dap` reports, in worker
 * threads (dap-report-pool.ts), uploaded to the two aggregators of `deployment` (in process or
 * over loopback). The operator's side (publishing tasks, collecting, the ranker's FedAvg step) is
 * the deployment's.
 *
 * Tasks: the popularity histogram (each visitor's last `maxItems` distinct training items over the
 * catalog, or its first `items` entries), then, with an encoder, `rankerRounds` ranker-update
 * tasks, one after another, every visitor with a ranking example reporting to each (one report per
 * task and window). Each visitor's ε (δ = 10⁻⁶, the ledger's) is one zCDP budget
 * ρ = rhoForBudget(ε, δ): `popularityShare` of it to the histogram, the rest split evenly over the
 * ranker rounds. Scoring: DAP popularity's NDCG@10 against true popularity's (leave-last-out, full
 * ranking, on the original users' held-out items), and the whole engine with the DAP ranker
 * against a ranker fitted centrally on the same models (src/sim/sim-hearth.ts).
 */
import type { Encoder } from '../encoder/types.ts';
import type { CollabModel } from '../engine/collab-model.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../engine/user-state.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import type { Split } from '../eval/split.ts';
import { createDapClient, type DapClient, type DapLocalData } from '../federated/dap-client.ts';
import { learnableFeatures, rankerColumns } from '../federated/ranker-update.ts';
import { reportSensitivity } from '../privacy/dap-accounting.ts';
import { sampleDiscreteGaussians, seededRandomBelow } from '../privacy/discrete-gaussian.ts';
import { createPrivacyGate, type GateFetch } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, type Ledger } from '../privacy/ledger.ts';
import { rhoForBudget } from '../privacy/rdp.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import { encodeItemHistogram } from '../wire/dap-measurement.ts';
import { createDapReportPool } from './dap-report-pool.ts';
import { dapTaskDocument, newTaskId } from './dap-task-document.ts';
import { evaluatePopularity, type ReportSection, topOverlap } from './sim-eval.ts';
import { hearthWorlds, scoreRankers } from './sim-hearth.ts';

/** The δ every visitor's ledger converts at (the client's default). */
export const DAP_SIM_DELTA = 1e-6;

/** What one collection counted. */
export interface DapCollection {
  /** Reports aggregated into the released sum. */
  readonly reports: number;
  /** Reports the aggregators refused (invalid proof, replay, outside the window…). */
  readonly rejected: number;
}

/**
 * The two aggregators as the simulation drives them (in process, or listening on loopback), with
 * the operator's steps: publishing tasks, collecting (which publishes the popularity prior or
 * applies the ranker's FedAvg step), and reading what was published, as clients would.
 */
export interface DapSimDeployment {
  /** How a visitor's gate reaches them. */
  readonly fetch: GateFetch;
  /** The thin server / leader base URL (`/v1/dap/tasks`, `/v1/model`, `/v1/aggregates`). */
  readonly server: string;
  /** The DAP endpoints a task names. */
  readonly leader: string;
  readonly helper: string;
  readonly transport: 'in-process' | 'http-loopback';
  /** The aggregators' clock (visitors report at this time). */
  now(): number;
  /** Publishes a task on both aggregators. */
  openTask(task: DapTask): Promise<void>;
  /** Ends the task's window, has both aggregators verify and aggregate every report, collects. */
  collect(task: DapTask): Promise<DapCollection>;
  /** The published (noisy) popularity estimate, aligned with `items`. */
  popularity(items: readonly string[]): Promise<Float32Array>;
  /** Publishes ranker weights (layout `features`) as a new version of `ranker`; its version. */
  publishRanker(features: readonly string[], params: Float32Array): Promise<number>;
  /** The latest version of `ranker` (after a collected ranker task: the FedAvg step). */
  ranker(): Promise<{ readonly version: number; readonly params: Float32Array }>;
  close(): Promise<void>;
}

/** Parameters of `--mode dap`. */
export interface DapSimOptions {
  /** Total ε per visitor (δ = 10⁻⁶); Infinity for (practically) no noise. */
  readonly epsilon: number;
  /** Share of each visitor's ρ spent on the popularity histogram (the rest on the ranker). */
  readonly popularityShare: number;
  /** A visitor's last distinct items counted (L). */
  readonly maxItems: number;
  /** Count only the catalog's first `items` entries (a head the operator chose); default all. */
  readonly items?: number;
  /** Visitors drawn with replacement from the training users; default every user once. */
  readonly population?: number;
  /** Ranker-update tasks, one after another (with an encoder). */
  readonly rankerRounds: number;
  /** Threads making reports (0: on the main thread). */
  readonly threads: number;
  readonly seed: number;
  /** Item-text encoder: with it the ranker is trained over DAP and the whole engine scored. */
  readonly encoder?: Encoder;
  /** The centrally trained collab model, for the central engine the DAP one is compared with. */
  readonly centralCollab?: CollabModel;
  /**
   * Further draws of both aggregators' noise over the same reports' exact sum (the mechanism
   * alone, no cryptography), for the spread of the popularity figure; 0 (default) for none.
   */
  readonly noiseDraws?: number;
  readonly log: (message: string) => void;
}

/** Defaults: a visitor's last 20 items, 90% of ρ to popularity, one ranker task. */
export const DEFAULT_DAP_SIM = {
  popularityShare: 0.9,
  maxItems: 20,
  rankerRounds: 1,
} as const;

/** The ranker-update measurement: clip 0.5, scale 64, 5 local steps at lr 1 (as the LDP rounds). */
export const DAP_RANKER = { clip: 0.5, scale: 64, localSteps: 5, learningRate: 1 } as const;

/** A task of the simulation: open from a minute before `now` for a day, minimum batch 2. */
export function simTask(
  deployment: Pick<DapSimDeployment, 'leader' | 'helper'>,
  name: string,
  measurement: DapMeasurement,
  rho: number,
  rng: Rng,
  now: number,
): DapTask {
  return dapTaskDocument(newTaskId(rng), name, measurement, rho, {
    leader: deployment.leader,
    helper: deployment.helper,
    window: { start: now - 60_000, end: now + 24 * 3_600_000 },
    timePrecisionSeconds: 60,
    minBatch: 2,
  });
}

/** Counts of one phase's reports, from the clients' outcomes. */
interface PhaseCounts {
  reported: number;
  skipped: number;
  failed: number;
  bytes: number;
  reportMs: number[];
}

/** The visitors: users of the split (indices), or a bootstrap draw of `population` of them. */
export function drawVisitors(split: Split, population: number | undefined, rng: Rng): number[] {
  const users = split.train.map((_, u) => u).filter((u) => (split.train[u]?.length ?? 0) > 0);
  if (population === undefined) return users;
  return Array.from({ length: population }, () => users[Math.floor(rng() * users.length)] ?? 0);
}

/** Runs `contribute` for every visitor, `concurrency` at a time, with progress lines. */
async function contributeAll(
  visitors: readonly { readonly client: DapClient; readonly user: number }[],
  local: (user: number) => DapLocalData,
  concurrency: number,
  label: string,
  log: (message: string) => void,
): Promise<PhaseCounts> {
  const counts: PhaseCounts = { reported: 0, skipped: 0, failed: 0, bytes: 0, reportMs: [] };
  const started = performance.now();
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(visitors.length / 20));
  const worker = async () => {
    for (;;) {
      const i = next++;
      const visitor = visitors[i];
      if (visitor === undefined) return;
      for (const out of await visitor.client.contribute(async () => local(visitor.user))) {
        counts[out.kind]++;
        if (out.kind === 'reported') {
          counts.bytes += out.bytes;
          counts.reportMs.push(out.reportMs);
        }
      }
      done++;
      if (done % step === 0 || done === visitors.length) {
        const s = (performance.now() - started) / 1000;
        log(
          `${label}: ${done}/${visitors.length} visitors (${counts.reported} reports, ${s.toFixed(0)} s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

/** The q-quantile of `values` (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * The popularity figure's spread over the noise alone: `draws` independent pairs of discrete
 * Gaussians N_Z(0, σ²) (one per aggregator, the task's σ; seeded) added to `exact`, the sum of
 * the reports, each scored like the released estimate. Ratios are to `truth`'s NDCG@10.
 */
async function noiseSpread(
  split: Split,
  exact: Float32Array,
  sigma: number,
  draws: number,
  seed: number,
  truthNdcg: number,
): Promise<ReportSection> {
  const ratios: number[] = [];
  for (let d = 0; d < draws; d++) {
    const below = seededRandomBelow(seed * 1_009 + d);
    const [a, b] = [0, 1].map(() => sampleDiscreteGaussians(exact.length, sigma, below));
    const noisy = Float32Array.from(
      exact,
      (v, i) => v + Number(a?.[i] ?? 0n) + Number(b?.[i] ?? 0n),
    );
    ratios.push((await evaluatePopularity(split, noisy)).ndcg10 / truthNdcg);
  }
  const share = (t: number) => ratios.filter((r) => r >= t).length / ratios.length;
  return {
    draws,
    median: quantile(ratios, 0.5),
    p10: quantile(ratios, 0.1),
    p90: quantile(ratios, 0.9),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    shareAtLeast90: share(0.9),
    shareAtLeast60: share(0.6),
  };
}

/** Runs the DAP simulation over `deployment` and returns the `dap` section of the report. */
export async function runDapSimulation(
  data: MovieLensData,
  split: Split,
  options: DapSimOptions,
  deployment: DapSimDeployment,
): Promise<ReportSection> {
  const { log } = options;
  const t0 = performance.now();
  const rng = seededRng(options.seed * 7_919 + 13);
  const visitorsOf = drawVisitors(split, options.population, rng);
  const resampled = options.population !== undefined;
  const finite = Number.isFinite(options.epsilon);
  // Without a budget the noise is set negligible (σ = 10⁻³ of the sensitivity): ρ is then huge
  // and the ledger's caps are lifted; the figures show what the protocol itself costs.
  const rhoTotal = finite ? rhoForBudget(options.epsilon, DAP_SIM_DELTA) : Number.NaN;
  const withRanker = options.encoder !== undefined;
  const popularityShare = withRanker ? options.popularityShare : 1;
  const rhoFor = (share: number, sensitivity: number) =>
    finite ? rhoTotal * share : (sensitivity * sensitivity) / (2 * (sensitivity * 1e-3) ** 2);
  const ledgers: Ledger[] = [];
  const visitors = visitorsOf.map((user, v) => {
    const cap = finite ? options.epsilon * (1 + 1e-9) : Number.POSITIVE_INFINITY;
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { dailyEpsilon: cap, lifetimeEpsilon: cap, delta: DAP_SIM_DELTA },
    });
    ledgers.push(ledger);
    const gate = createPrivacyGate({ ledger, fetch: deployment.fetch, consent: true });
    return { user, gate, ledger, v };
  });
  const pool = createDapReportPool(options.threads);
  const clients = visitors.map((visitor) => ({
    user: visitor.user,
    client: createDapClient({
      gate: visitor.gate,
      ledger: visitor.ledger,
      server: deployment.server,
      helper: deployment.helper,
      rng: seededRng(options.seed * 100_003 + visitor.v),
      makeReport: pool.make,
      now: () => deployment.now(),
    }),
  }));
  const concurrency = Math.max(2, 2 * Math.max(1, pool.threads) + 2);
  const note = resampled
    ? `resampled population: ${visitorsOf.length} visitors drawn with replacement from the ${split.users.length} users (bootstrap; each a distinct client with its own report); scored on the original users' held-out items`
    : `every training user is one visitor (${visitorsOf.length})`;
  log(`dap: ${note}`);
  try {
    // Popularity: the histogram task.
    const itemIds = split.itemIds.slice(0, options.items ?? split.itemIds.length);
    const histogram = {
      kind: 'item-histogram' as const,
      items: itemIds,
      maxItems: options.maxItems,
    };
    const popularityRho = rhoFor(popularityShare, reportSensitivity(histogram));
    const popTask = simTask(
      deployment,
      'item popularity',
      histogram,
      popularityRho,
      rng,
      deployment.now(),
    );
    await deployment.openTask(popTask);
    log(
      `dap: popularity over ${itemIds.length} items, L = ${options.maxItems}, ρ = ${popularityRho.toPrecision(4)}, σ = ${popTask.noise.sigma.toFixed(2)} per aggregator, ${pool.threads} report threads (${deployment.transport})`,
    );
    const positive = (user: number) => (split.train[user] ?? []).map((r) => split.itemIds[r] ?? '');
    const tPop = performance.now();
    const popCounts = await contributeAll(
      clients,
      (user) => ({ positiveItems: positive(user), rankerGroups: [] }),
      concurrency,
      'dap popularity',
      log,
    );
    const popSeconds = (performance.now() - tPop) / 1000;
    const collected = await deployment.collect(popTask);
    const estimate = await deployment.popularity(split.itemIds);
    const truth = new Float32Array(split.itemIds.length);
    for (const rows of split.train) for (const r of rows) truth[r] = (truth[r] ?? 0) + 1;
    const dapPopularity = await evaluatePopularity(split, estimate);
    const truePopularity = await evaluatePopularity(split, truth);
    const ratio = dapPopularity.ndcg10 / truePopularity.ndcg10;
    // What the reports held, summed without noise: the same encoder the clients ran (the task's
    // items are the catalog's first entries, so entry i is row i).
    const exact = new Float32Array(split.itemIds.length);
    for (const { user } of clients) {
      encodeItemHistogram(histogram, positive(user)).forEach((v, i) => {
        exact[i] = (exact[i] ?? 0) + v;
      });
    }
    const noiseless = (await evaluatePopularity(split, exact)).ndcg10 / truePopularity.ndcg10;
    const spread =
      (options.noiseDraws ?? 0) > 0
        ? await noiseSpread(
            split,
            exact,
            popTask.noise.sigma,
            options.noiseDraws ?? 0,
            options.seed,
            truePopularity.ndcg10,
          )
        : null;
    log(
      `dap: popularity NDCG@10 ${dapPopularity.ndcg10.toFixed(4)} = ${(ratio * 100).toFixed(1)}% of true popularity's (${collected.reports} reports aggregated, ${collected.rejected} rejected)`,
    );

    let hearth: ReportSection | null = null;
    let central: ReportSection | null = null;
    let rejected = collected.rejected;
    if (options.encoder !== undefined && options.centralCollab !== undefined) {
      const worlds = await hearthWorlds(data, split, {
        encoder: options.encoder,
        federatedCollab: null,
        centralCollab: options.centralCollab,
        ldpCounts: estimate,
        userState: DEFAULT_USER_STATE_CONFIG,
        examplesPerUser: 5,
        log,
      });
      const features = learnableFeatures();
      const start = new Float32Array(features.length);
      let version = await deployment.publishRanker(features, start);
      let params: Float32Array = start;
      const rankerRho = rhoFor((1 - popularityShare) / options.rankerRounds, 1);
      const groups = worlds.federatedGroups;
      const rankerCounts: PhaseCounts[] = [];
      for (let round = 0; round < options.rankerRounds; round++) {
        const measurement = {
          kind: 'ranker-update' as const,
          modelVersion: version,
          features,
          ...DAP_RANKER,
        };
        const task = simTask(
          deployment,
          `ranker update ${round + 1}`,
          measurement,
          rankerRho,
          rng,
          deployment.now(),
        );
        await deployment.openTask(task);
        rankerCounts.push(
          await contributeAll(
            clients,
            (user) => ({ positiveItems: [], rankerGroups: groups.get(user) ?? [] }),
            concurrency,
            `dap ranker ${round + 1}/${options.rankerRounds}`,
            log,
          ),
        );
        rejected += (await deployment.collect(task)).rejected;
        ({ version, params } = await deployment.ranker());
      }
      const scored = await scoreRankers(split, worlds, rankerColumns(features), start, params, log);
      hearth = {
        ...scored.federated,
        rounds: options.rankerRounds,
        rhoPerRound: rankerRho,
        clipNorm: DAP_RANKER.clip,
        scale: DAP_RANKER.scale,
        visitorsWithExample: clients.filter((c) => groups.has(c.user)).length,
        reports: rankerCounts.reduce((n, c) => n + c.reported, 0),
        modelVersion: version,
      };
      central = scored.central;
    }

    const spent = await Promise.all(ledgers.map(async (l) => (await l.spent()).lifetime.epsilon));
    return {
      popularity_ndcg_ratio: ratio,
      reports_rejected: rejected,
      epsilon_per_visitor: finite ? Math.max(...spent) : 'inf',
      epsilonPerVisitorMean: finite ? spent.reduce((a, b) => a + b, 0) / spent.length : 'inf',
      delta: DAP_SIM_DELTA,
      population: visitorsOf.length,
      populationNote: note,
      popularity: dapPopularity,
      truePopularity,
      noiselessPopularityNdcgRatio: noiseless,
      noiseSpread: spread,
      top100Overlap: topOverlap(estimate, truth, 100),
      popularityShare,
      popularityRho,
      sigmaPerAggregator: popTask.noise.sigma,
      maxItems: options.maxItems,
      items: itemIds.length,
      reportsAggregated: collected.reports,
      reportsSent: popCounts.reported,
      visitorsSkipped: popCounts.skipped,
      reportsFailed: popCounts.failed,
      reportBytes: popCounts.reported === 0 ? 0 : popCounts.bytes / popCounts.reported,
      clientReportMsMedian: median(popCounts.reportMs),
      reportThreads: pool.threads,
      popularitySeconds: popSeconds,
      transport: deployment.transport,
      seconds: (performance.now() - t0) / 1000,
      hearth,
      centralHearth: central,
    };
  } finally {
    await pool.close();
  }
}
