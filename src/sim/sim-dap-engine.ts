/**
 * The privately trained engine in `hearth simulate --mode dap` (issue 13), after the popularity
 * histogram is released (sim-dap.ts):
 * 1. pair-count task designed from the released popularity and a public attribute (when the
 *    budget plan sends it) → its release;
 * 2. the collector builds the `cooccurrence` candidate from both releases (buildCooccurrence);
 * 3. federated evaluation: every visitor compares the candidate with the served engine (at first
 *    none: the private floor) on its held-out last training event, one report each; the collector
 *    decides on the noisy counts (promotionDecision) and serves the candidate only when it wins;
 * 4. ranker rounds through DAP on the served models, from the shipped ranker;
 * 5. scoring side by side: the central engine, the private floor (`hearth eval`'s method: no
 *    shared data, the shipped ranker) and the private engine (the served model, the DAP ranker).
 */
import { DEFAULT_USER_STATE_CONFIG } from '../engine/user-state.ts';
import { privateFloorContext, rankerGroupsByUser } from '../eval/hearth-method.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { moviePublicItems } from '../eval/private-method.ts';
import { exactSum, type Population } from '../eval/private-release.ts';
import type { Split } from '../eval/split.ts';
import { learnableFeatures, rankerColumns } from '../federated/ranker-update.ts';
import {
  DEFAULT_COOCCURRENCE_PARAMS,
  releasedNoise,
  releasedPopularity,
} from '../models/cooccurrence-build.ts';
import { pairCountsMeasurement } from '../models/private-tasks.ts';
import { attributeValues } from '../models/public-items.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';
import type { DapMeasurement } from '../protocol/dap.ts';
import type { Rng } from '../shared/rng.ts';
import { decodeEvaluationSum } from '../wire/dap-measurement.ts';
import type { EngineBudgetPlan } from './dap-budget.ts';
import { DAP_RANKER, runRankerRounds } from './dap-ranker-rounds.ts';
import type { Reporting, TaskRelease } from './dap-reporting.ts';
import type { TaskTransport } from './dap-transport.ts';
import type { DapEngineInputs } from './sim-dap.ts';
import { evaluateHearth, type ReportSection } from './sim-eval.ts';
import { centralWorld, embedCatalog, scoreRankers } from './sim-hearth.ts';
import { candidateEngine, federatedEvaluation } from './sim-private.ts';

type Histogram = Extract<DapMeasurement, { kind: 'item-histogram' }>;
type PairCounts = Extract<DapMeasurement, { kind: 'pair-counts' }>;

/** Ranking examples per visitor for the ranker (its last few events, as in `hearth simulate`). */
const EXAMPLES_PER_USER = 5;

/** What the engine steps need from the simulation. */
export interface PrivateEngineInput {
  readonly data: MovieLensData;
  readonly split: Split;
  /** The split with each user's last training event held out (the evaluation's target). */
  readonly heldOut: Split;
  readonly visitors: readonly number[];
  /** The visitors' statistics histories (held-out event left out), as a population. */
  readonly people: Population;
  readonly plan: EngineBudgetPlan;
  readonly reporting: Reporting;
  readonly choose: (m: DapMeasurement, reports: number) => TaskTransport;
  readonly rng: Rng;
  readonly histogram: TaskRelease<Histogram>;
  readonly inputs: DapEngineInputs;
  readonly evaluationK: number;
  readonly seed: number;
  /** The population's description (says when it is resampled). */
  readonly note: string;
  readonly log: (message: string) => void;
}

/** What the engine steps released and measured. */
export interface PrivateEngineResult {
  readonly releases: readonly TaskRelease<DapMeasurement>[];
  /** `dap.private`. */
  readonly section: ReportSection;
  /** The DAP ranker on the served models against a central fit on them (`dap.hearth`). */
  readonly hearth: ReportSection;
  readonly centralHearth: ReportSection;
}

const figures = (f: { hr10: number; ndcg10: number }) => ({ hr10: f.hr10, ndcg10: f.ndcg10 });

/** Runs steps 1–5 of the file comment. */
export async function runPrivateEngine(input: PrivateEngineInput): Promise<PrivateEngineResult> {
  const { split, heldOut, visitors, people, plan, reporting, choose, rng, log } = input;
  const { encoder, centralCollab, shippedRanker } = input.inputs;
  const userState = DEFAULT_USER_STATE_CONFIG;
  const catalog = await embedCatalog(input.data, split, encoder, log);
  const { central, centralGroups } = centralWorld(
    split,
    catalog,
    centralCollab,
    userState,
    EXAMPLES_PER_USER,
  );
  const floor = privateFloorContext(catalog.items, catalog.vectors, catalog.dims);
  const publicItems = moviePublicItems(input.data, split.itemIds);

  // 1. Pair counts over the released head.
  const histogram = input.histogram.release;
  let pairs: TaskRelease<PairCounts> | null = null;
  if (plan.usePairs) {
    const items = histogram.measurement.items;
    const attribute = DEFAULT_COOCCURRENCE_PARAMS.attribute;
    const m = pairCountsMeasurement(
      items,
      releasedPopularity(histogram),
      attribute === null ? null : attributeValues(items, publicItems, attribute),
    );
    pairs = await reporting.release(
      'pair counts',
      m,
      plan.pairsRho,
      choose(m, visitors.length),
      rng,
      { exact: () => exactSum(m, people, input.seed * 31 + 7) },
    );
  } else
    log(
      'dap: no pair-count task (the budget plan keeps all of the statistics ρ for the histogram)',
    );

  // 2. The collector's candidate.
  const candidate = candidateEngine(
    publicItems,
    catalog,
    { histogram, pairs: pairs?.release ?? null },
    input.plan.delta,
  );

  // 3. Federated evaluation against the served engine (none yet: the private floor).
  const {
    release: evaluated,
    exact: exactVotes,
    decision,
  } = await federatedEvaluation({
    reporting,
    visitors,
    heldOut,
    candidate: { context: candidate.context, ranker: shippedRanker },
    served: { context: floor, ranker: shippedRanker },
    model: COOCCURRENCE_MODEL,
    k: input.evaluationK,
    rho: plan.evaluationRho,
    choose,
    rng,
    userState,
  });
  const counts = decodeEvaluationSum(Array.from(evaluated.release.sum));
  log(`dap: federated evaluation: ${decision.reason}`);
  const served = decision.promote ? candidate.context : floor;
  const servedName = decision.promote ? COOCCURRENCE_MODEL : 'private-floor';

  // 4. Ranker rounds on the served models, from the shipped ranker.
  const features = learnableFeatures();
  const columns = rankerColumns(features);
  const start = Float32Array.from(columns.columns, (c) => shippedRanker.weights[c] ?? 0);
  const groups = rankerGroupsByUser(served, heldOut, userState, EXAMPLES_PER_USER);
  const rankerM: DapMeasurement = {
    kind: 'ranker-update',
    modelVersion: 0,
    features,
    ...DAP_RANKER,
  };
  if (plan.rankerSkipped !== null) log(`dap: ${plan.rankerSkipped}`);
  const rounds =
    plan.rankerRounds === 0
      ? { params: start, version: 0, releases: [] }
      : await runRankerRounds({
          reporting,
          visitors,
          groups,
          features,
          start,
          rounds: plan.rankerRounds,
          rhoPerRound: plan.rankerRhoPerRound,
          transport: choose(rankerM, visitors.length * plan.rankerRounds),
          rng,
        });

  // 5. Scores on the test items.
  const scored = await scoreRankers(
    split,
    { federated: served, central, federatedGroups: groups, centralGroups },
    columns,
    start,
    rounds.params,
    log,
  );
  const floorFigures = await evaluateHearth(split, floor, shippedRanker, userState);
  const centralFigures = figures(scored.central);
  const privateFigures = figures(scored.federated);
  const servedShipped = scored.federated.untrainedRanker;
  const rankerReports = rounds.releases.reduce((n, r) => n + r.counts.reported, 0);
  const sigma = {
    histogram: histogram.sigma,
    pairs: pairs?.release.sigma ?? null,
    evaluation: evaluated.release.sigma,
    rankerPerRound: rounds.releases[0]?.release.sigma ?? null,
  };
  const transport = Object.fromEntries(
    [input.histogram, pairs, evaluated, ...rounds.releases]
      .filter((r) => r !== null)
      .map((r) => [r.task.name, `${r.transport.transport} (${r.transport.reason})`]),
  );
  log(
    `dap: private engine NDCG@10 ${privateFigures.ndcg10.toFixed(4)} (${servedName}) = ${((privateFigures.ndcg10 / centralFigures.ndcg10) * 100).toFixed(1)}% of central ${centralFigures.ndcg10.toFixed(4)}; private floor ${floorFigures.ndcg10.toFixed(4)}`,
  );
  return {
    releases: [...(pairs === null ? [] : [pairs]), evaluated, ...rounds.releases],
    hearth: {
      ...scored.federated,
      rounds: plan.rankerRounds,
      rhoPerRound: plan.rankerRhoPerRound,
      clipNorm: DAP_RANKER.clip,
      scale: DAP_RANKER.scale,
      visitorsWithExample: visitors.filter((u) => groups.has(u)).length,
      reports: rankerReports,
      modelVersion: rounds.version,
      servedModels: servedName,
      skipped: plan.rankerSkipped,
      countNoise: plan.rankerCountNoise,
    },
    centralHearth: scored.central,
    section: {
      populationNote: input.note,
      central: centralFigures,
      privateFloor: { ...figures(floorFigures), ranker: shippedRanker.version },
      privateEngine: {
        ...privateFigures,
        model: servedName,
        ranker:
          plan.rankerRounds > 0
            ? `${plan.rankerRounds} DAP ranker rounds on the served models from ${shippedRanker.version}`
            : `${shippedRanker.version} (no ranker rounds)`,
      },
      privateEngineShareOfCentral: privateFigures.ndcg10 / centralFigures.ndcg10,
      privateFloorShareOfCentral: floorFigures.ndcg10 / centralFigures.ndcg10,
      privateEngineAboveFloor: privateFigures.ndcg10 > floorFigures.ndcg10,
      servedWithShippedRanker: figures(servedShipped),
      servedNotBelowReplaced: servedShipped.ndcg10 >= floorFigures.ndcg10,
      gate: {
        candidate: COOCCURRENCE_MODEL,
        served: 'private-floor',
        promote: decision.promote,
        reason: decision.reason,
        lead: decision.lead,
        lowerBound: decision.lowerBound,
        released: { candidate: counts.candidate, served: counts.served, tie: counts.tie },
        exact: exactVotes,
        noisePerCount: releasedNoise(evaluated.release.sigma),
        k: input.evaluationK,
        heldOut:
          "each visitor's last training event, left out of its statistics reports; candidate and served engines both rank with the shipped ranker",
      },
      model: candidate.summary,
      rankerSource:
        plan.rankerSkipped ??
        `DAP ranker-update rounds (${plan.rankerRounds}), ${rankerReports} reports; the released contributor count carries ±${(plan.rankerCountNoise * 100).toFixed(0)}% noise`,
      epsilonPerVisitor: plan.epsilon,
      delta: plan.delta,
      rho: {
        histogram: plan.histogramRho,
        pairs: plan.pairsRho,
        evaluation: plan.evaluationRho,
        rankerPerRound: plan.rankerRhoPerRound,
      },
      sigma,
      transport,
    },
  };
}
