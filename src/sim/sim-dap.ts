/**
 * `hearth simulate --mode dap`: secure aggregation with the real client code. Every MovieLens
 * training user is a visitor (or, with `population`, visitors are drawn from them with
 * replacement, each a distinct client with its own ledger and reports: a resampled population,
 * scored on the original users' held-out items). Each visitor's one total ε (δ = 10⁻⁶) is split
 * across the tasks (src/sim/dap-budget.ts) and its ledger is capped at it.
 *
 * Tasks, in order (each through the real aggregators or the sum transport: src/sim/dap-transport.ts):
 * 1. the popularity histogram (each visitor's last `maxItems` distinct items over the catalog);
 * then, with the engine's inputs (sim-dap-engine.ts):
 * 2. the head pair counts, designed from the released popularity (when the budget plan says they
 *    are worth it), and the collector's private item-item model (`cooccurrence`) from both;
 * 3. the federated evaluation of that candidate against the served engine (at first the private
 *    floor) and the promotion decision;
 * 4. the ranker rounds on the served models, from the shipped ranker.
 * Statistics reports leave out each visitor's last training event: the device keeps it to
 * evaluate the candidate on (step 3), and the ranker's examples end with it.
 *
 * Scoring (leave-last-out, full ranking, the original users' test items): DAP popularity against
 * true popularity; the central engine, the private floor and the private engine side by side.
 */
import type { Encoder } from '../encoder/types.ts';
import type { CollabModel } from '../engine/collab-model.ts';
import type { Ranker } from '../engine/ranker.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { exactSum, populationOfVisitors } from '../eval/private-release.ts';
import { type Split, validationSplit } from '../eval/split.ts';
import { releasedPopularity } from '../models/cooccurrence-build.ts';
import { DEFAULT_PRIVATE_STATISTICS } from '../models/private-tasks.ts';
import { sampleDiscreteGaussians, seededRandomBelow } from '../privacy/discrete-gaussian.ts';
import type { GateFetch } from '../privacy/gate.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';
import { type Rng, seededRng } from '../shared/rng.ts';
import { type BudgetShares, DEFAULT_BUDGET_SHARES, planEngineBudget } from './dap-budget.ts';
import { createReporting } from './dap-reporting.ts';
import {
  AUTO_AGGREGATORS_LIMIT_S,
  chooseTransport,
  type DapTransportRequest,
} from './dap-transport.ts';
import { runPrivateEngine } from './sim-dap-engine.ts';
import { evaluatePopularity, type ReportSection, topOverlap } from './sim-eval.ts';

export { DAP_RANKER } from './dap-ranker-rounds.ts';
export { simTask } from './dap-reporting.ts';

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
  /** The released (noisy) sum of a collected task, one value per entry. */
  released(task: DapTask): Promise<number[]>;
  /** The published (noisy) popularity estimate, aligned with `items`. */
  popularity(items: readonly string[]): Promise<Float32Array>;
  /** Publishes ranker weights (layout `features`) as a new version of `ranker`; its version. */
  publishRanker(features: readonly string[], params: Float32Array): Promise<number>;
  /** The latest version of `ranker` (after a collected ranker task: the FedAvg step). */
  ranker(): Promise<{ readonly version: number; readonly params: Float32Array }>;
  close(): Promise<void>;
}

/** What the private engine needs besides the releases. */
export interface DapEngineInputs {
  /** Item-text encoder (the catalog vectors every engine shares). */
  readonly encoder: Encoder;
  /** The centrally trained collab model, for the central engine the private one is compared with. */
  readonly centralCollab: CollabModel;
  /** The ranker every device ships with: the private floor's, and where the ranker rounds start. */
  readonly shippedRanker: Ranker;
}

/** Parameters of `--mode dap`. */
export interface DapSimOptions {
  /** Total ε per visitor (δ = 10⁻⁶); Infinity for (practically) no noise. */
  readonly epsilon: number;
  /** A visitor's last distinct items counted in the histogram (L). */
  readonly maxItems: number;
  /** Count only the catalog's first `items` entries (a head the operator chose); default all. */
  readonly items?: number;
  /** Visitors drawn with replacement from the training users; default every user once. */
  readonly population?: number;
  /** The budget split between the evaluation, the ranker rounds and the statistics. */
  readonly shares: BudgetShares;
  /** `--dap-transport`: aggregators, sum, or by estimated cost (`auto`). */
  readonly transport: DapTransportRequest;
  /** `auto` sends a task through the aggregators when its estimated CPU is at most this. */
  readonly transportLimitSeconds?: number;
  /** The federated evaluation compares the held-out item's gain within the top `evaluationK`. */
  readonly evaluationK: number;
  /** Threads making real reports (0: on the main thread). */
  readonly threads: number;
  readonly seed: number;
  /** With them the private engine is built, evaluated, trained and scored. */
  readonly engine?: DapEngineInputs;
  /**
   * Further draws of both aggregators' noise over the same reports' exact sum (the mechanism
   * alone, no cryptography), for the spread of the popularity figure; 0 (default) for none.
   */
  readonly noiseDraws?: number;
  readonly log: (message: string) => void;
}

/** Defaults: the task design's L (50), the budget shares, top 10 in the evaluation, by cost. */
export const DEFAULT_DAP_SIM = {
  maxItems: DEFAULT_PRIVATE_STATISTICS.maxItems,
  evaluationK: 10,
  transport: 'auto',
  ...DEFAULT_BUDGET_SHARES,
} as const;

/** The visitors: users of the split (indices), or a bootstrap draw of `population` of them. */
export function drawVisitors(split: Split, population: number | undefined, rng: Rng): number[] {
  const users = split.train.map((_, u) => u).filter((u) => (split.train[u]?.length ?? 0) > 0);
  if (population === undefined) return users;
  return Array.from({ length: population }, () => users[Math.floor(rng() * users.length)] ?? 0);
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

/** `values` (aligned with the task's first items) spread over all of the split's items. */
function overCatalog(split: Split, values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(split.itemIds.length);
  for (let i = 0; i < Math.min(values.length, out.length); i++) out[i] = values[i] ?? 0;
  return out;
}

/**
 * Runs the DAP simulation and returns the `dap` section of the report. `aggregators` starts the
 * two aggregators; it is called only when a task goes through them.
 */
export async function runDapSimulation(
  data: MovieLensData,
  split: Split,
  options: DapSimOptions,
  aggregators: () => Promise<DapSimDeployment>,
): Promise<ReportSection> {
  const { log } = options;
  const t0 = performance.now();
  const rng = seededRng(options.seed * 7_919 + 13);
  const visitors = drawVisitors(split, options.population, rng);
  const resampled = options.population !== undefined;
  const note = resampled
    ? `resampled population: ${visitors.length} visitors drawn with replacement from the ${split.users.length} users (bootstrap; each a distinct client with its own ledger and reports); scored on the original users' held-out items`
    : `every training user is one visitor (${visitors.length})`;
  log(`dap: ${note}`);
  // The statistics leave out each visitor's last training event (kept for the evaluation).
  const heldOut = validationSplit(split);
  const histories = heldOut.train.map((rows) => rows.map((r) => split.itemIds[r] ?? ''));
  const people = populationOfVisitors(histories, visitors);
  const plan = planEngineBudget(
    options.epsilon,
    DAP_SIM_DELTA,
    visitors.length,
    options.shares,
    options.engine !== undefined,
  );
  const limit = options.transportLimitSeconds ?? AUTO_AGGREGATORS_LIMIT_S;
  const choose = (m: DapMeasurement, reports: number) =>
    chooseTransport(options.transport, m, reports, limit);
  const reporting = createReporting({
    visitors,
    epsilon: options.epsilon,
    delta: DAP_SIM_DELTA,
    seed: options.seed,
    threads: options.threads,
    aggregators,
    log,
  });
  try {
    // 1. Popularity: the histogram task.
    const histogram = {
      kind: 'item-histogram' as const,
      items: split.itemIds.slice(0, options.items ?? split.itemIds.length),
      maxItems: options.maxItems,
    };
    const popTransport = choose(histogram, visitors.length);
    const exact = exactSum(histogram, people, 0);
    const pop = await reporting.release(
      'item popularity',
      histogram,
      plan.histogramRho,
      popTransport,
      rng,
      {
        local: (user) => ({ positiveItems: histories[user] ?? [], rankerGroups: [] }),
        exact: () => exact,
      },
    );
    const estimate = overCatalog(split, pop.release.sum);
    const truth = new Float32Array(split.itemIds.length);
    for (const rows of split.train) for (const r of rows) truth[r] = (truth[r] ?? 0) + 1;
    const dapPopularity = await evaluatePopularity(split, estimate);
    const truePopularity = await evaluatePopularity(split, truth);
    const ratio = dapPopularity.ndcg10 / truePopularity.ndcg10;
    const denoised = await evaluatePopularity(
      split,
      overCatalog(split, releasedPopularity(pop.release)),
    );
    const noiseless = await evaluatePopularity(split, overCatalog(split, exact));
    const spread =
      (options.noiseDraws ?? 0) > 0
        ? await noiseSpread(
            split,
            overCatalog(split, exact),
            pop.release.sigma,
            options.noiseDraws ?? 0,
            options.seed,
            truePopularity.ndcg10,
          )
        : null;
    log(
      `dap: popularity NDCG@10 ${dapPopularity.ndcg10.toFixed(4)} = ${(ratio * 100).toFixed(1)}% of true popularity's (${pop.release.reports} reports aggregated, ${pop.rejected} rejected, ${pop.transport.transport})`,
    );

    const engine =
      options.engine === undefined
        ? null
        : await runPrivateEngine({
            data,
            split,
            heldOut,
            visitors,
            people,
            plan,
            reporting,
            choose,
            rng,
            histogram: pop,
            inputs: options.engine,
            evaluationK: options.evaluationK,
            seed: options.seed,
            note,
            log,
          });

    const spent = await reporting.spent();
    const finite = Number.isFinite(options.epsilon);
    const atCap = spent.filter((e) => Math.abs(e - options.epsilon) <= 1e-9).length;
    const deployment = await reporting.deployment();
    const tasks = [pop, ...(engine?.releases ?? [])];
    const ledger: ReportSection = {
      cap: finite ? options.epsilon : 'inf',
      delta: DAP_SIM_DELTA,
      visitorsAtCap: finite ? atCap : 'inf',
      visitorsBelowCap: finite ? spent.length - atCap : 'inf',
      belowCapWhy:
        'the sum transport has every visitor report to every task (the empty report when it has nothing the task measures); through the aggregators the DAP client sends nothing then (no local ranking example, no item the histogram counts) and keeps that share',
    };
    return {
      popularity_ndcg_ratio: ratio,
      reports_rejected: tasks.reduce((n, t) => n + t.rejected, 0),
      epsilon_per_visitor: finite ? Math.max(...spent) : 'inf',
      epsilonPerVisitorMean: finite ? spent.reduce((a, b) => a + b, 0) / spent.length : 'inf',
      delta: DAP_SIM_DELTA,
      population: visitors.length,
      populationNote: note,
      resampled,
      popularity: dapPopularity,
      truePopularity,
      denoisedPopularityNdcgRatio: denoised.ndcg10 / truePopularity.ndcg10,
      noiselessPopularityNdcgRatio: noiseless.ndcg10 / truePopularity.ndcg10,
      noiseSpread: spread,
      top100Overlap: topOverlap(estimate, truth, 100),
      popularityRho: plan.histogramRho,
      sigmaPerAggregator: pop.release.sigma,
      maxItems: options.maxItems,
      items: histogram.items.length,
      reportsAggregated: pop.release.reports,
      reportsSent: pop.counts.reported,
      visitorsSkipped: pop.counts.skipped,
      reportsFailed: pop.counts.failed,
      reportBytes: pop.counts.reported === 0 ? 0 : pop.counts.bytes / pop.counts.reported,
      clientReportMsMedian: median(pop.counts.reportMs),
      popularitySeconds: pop.seconds,
      budget: {
        rho: finite ? plan.rho : 'inf',
        histogramRho: plan.histogramRho,
        pairsRho: plan.pairsRho,
        evaluationRho: plan.evaluationRho,
        rankerRhoPerRound: plan.rankerRhoPerRound,
        rankerRounds: plan.rankerRounds,
        rankerSkipped: plan.rankerSkipped,
        usePairs: plan.usePairs,
        evaluationShare: options.engine === undefined ? 0 : options.shares.evaluationShare,
        rankerShare: plan.rankerRounds > 0 ? options.shares.rankerShare : 0,
      },
      ledger,
      transport: {
        requested: options.transport,
        limitSeconds: limit,
        aggregators: deployment?.transport ?? null,
        tasks: Object.fromEntries(tasks.map((t) => [t.task.name, { ...t.transport }])),
      },
      reportThreads: options.threads,
      seconds: (performance.now() - t0) / 1000,
      hearth: engine?.hearth ?? null,
      private:
        engine === null
          ? null
          : {
              ...engine.section,
              epsilonSpentPerVisitor: {
                max: finite ? Math.max(...spent) : 'inf',
                mean: finite ? spent.reduce((a, b) => a + b, 0) / spent.length : 'inf',
              },
              ledger,
            },
      centralHearth: engine?.centralHearth ?? null,
    };
  } finally {
    await reporting.close();
  }
}
