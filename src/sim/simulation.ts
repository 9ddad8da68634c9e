/**
 * `hearth simulate`: every user of a MovieLens folder becomes a client holding only their own
 * training rows. With `mode: 'dap'` the clients make secure-aggregation reports instead
 * (src/sim/sim-dap.ts); what follows describes the default LDP mode. Rounds run the real federated client (privacy gate, ledger, clip + noise, q8
 * upload) against the real server app — in process through `app.request()`, or with `http` over
 * loopback through `@hono/node-server`. Telemetry runs the real OLH client and the server's
 * estimator. With an encoder, the same clients then train the ranker in federated rounds on
 * top of the federated collab model and the LDP popularity, and the whole engine is evaluated.
 * The centrally trained models (same objectives) are the reference.
 */

import type { Encoder } from '../encoder/types.ts';
import type { CollabModel } from '../engine/collab-model.ts';
import type { Ranker } from '../engine/ranker.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { leaveLastOut } from '../eval/split.ts';
import { createFederatedClient, type ModelCache } from '../federated/client.ts';
import { flattenCollab, unflattenCollab } from '../federated/params.ts';
import { noiseMultiplierFor } from '../federated/privatize.ts';
import { createCollabModel, DEFAULT_COLLAB_GRADIENT_OPTIONS } from '../models/collab-gradient.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../models/collab-train.ts';
import { createPrivacyGate } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, type Ledger } from '../privacy/ledger.ts';
import { noiseForRho, rhoForBudget } from '../privacy/rdp.ts';
import type { UpdateEncoding } from '../protocol/update.ts';
import { fedAdam } from '../server/strategy.ts';
import { seededRng } from '../shared/rng.ts';
import { modelUploadBody } from '../wire/model-upload.ts';
import { DapSimulationError } from './dap-transport.ts';
import { type DapSimDeployment, type DapSimOptions, runDapSimulation } from './sim-dap.ts';
import { evaluateCollab, type RankingFigures, type ReportSection } from './sim-eval.ts';
import { runRankerPhase } from './sim-hearth.ts';
import { admin, type Participant, runRounds, withSimServer } from './sim-server.ts';
import { runTelemetry } from './sim-telemetry.ts';

/** How the ranker is trained federatedly (used when an encoder is given). */
export interface RankerRoundOptions {
  /** Fraction of each client's privacy budget (zCDP ρ) spent on ranker updates. */
  readonly budgetShare: number;
  readonly clientsPerRound: number;
  /** Ranker updates per client over the simulation. */
  readonly participations: number;
  readonly clipNorm: number;
  readonly localSteps: number;
  readonly learningRate: number;
  /** FedAdam's server learning rate for the ranker's weights. */
  readonly serverLearningRate: number;
  /** Local ranking examples per client: its last n events, each held out in turn. */
  readonly examplesPerClient: number;
}

/**
 * Ranker rounds: half of each client's budget (the collab model's 632k values cannot use more
 * than its half at these client counts; the ranker's 10 trained weights can). Each client
 * uploads one update, in cohorts of 32. Five local
 * steps at lr 1 on up to 5 local examples (its last 5 events, each held out in turn: more
 * clients have at least one example whose target the candidates contain), clipped to C = 0.5.
 */
export const DEFAULT_RANKER_ROUNDS: RankerRoundOptions = {
  budgetShare: 0.5,
  clientsPerRound: 32,
  participations: 1,
  clipNorm: 0.5,
  localSteps: 5,
  learningRate: 1,
  serverLearningRate: 0.5,
  examplesPerClient: 5,
};

/** Simulation parameters. */
export interface SimulationOptions {
  /** Total ε per client over the whole simulation; Infinity for no noise. */
  readonly epsilon: number;
  /** Rounds; default: as many server steps as central training takes (epochs × users / batch). */
  readonly rounds?: number;
  readonly clientsPerRound: number;
  readonly clipNorm: number;
  readonly telemetryEpsilon: number;
  readonly seed: number;
  readonly http: boolean;
  /** Update payload encoding; default q8 (what browsers send). */
  readonly encoding?: UpdateEncoding;
  readonly skipTelemetry?: boolean;
  /** Telemetry only: no central training, no federated rounds (their keys are null). */
  readonly skipFederated?: boolean;
  /** Item-text encoder: with it the ranker is trained federatedly and the engine evaluated. */
  readonly encoder?: Encoder;
  readonly ranker?: RankerRoundOptions;
  /** `ldp` (default): federated rounds and OLH telemetry; `dap`: secure-aggregation reports. */
  readonly mode?: 'ldp' | 'dap';
  /** The DAP mode's parameters and how to start its two aggregators. */
  readonly dap?: Pick<
    DapSimOptions,
    | 'maxItems'
    | 'items'
    | 'population'
    | 'shares'
    | 'transport'
    | 'transportLimitSeconds'
    | 'evaluationK'
    | 'threads'
    | 'noiseDraws'
  > & {
    /** Starts both aggregators; called only when a task goes through them. */
    readonly start: (http: boolean) => Promise<DapSimDeployment>;
    /** The ranker devices ship with (needed with an encoder: the private floor's, the rounds' start). */
    readonly shippedRanker?: Ranker;
  };
  readonly log: (message: string) => void;
}

/**
 * Defaults: cohorts of central training's batch size (16), C = 0.2, ε = 2 per telemetry report;
 * rounds default to central training's step count (see `SimulationOptions.rounds`).
 */
export const DEFAULT_SIMULATION: Omit<SimulationOptions, 'epsilon' | 'log' | 'rounds'> = {
  clientsPerRound: DEFAULT_COLLAB_TRAIN_OPTIONS.batchUsers,
  clipNorm: 0.2,
  telemetryEpsilon: 2,
  seed: 1,
  http: false,
};

/** A section with the whole-engine figures (null without an encoder). */
type WithHearth = ReportSection & { readonly hearth: ReportSection | null };

/** The `--json` report. */
export interface SimulationReport {
  readonly federated: (RankingFigures & WithHearth) | null;
  readonly central: (RankingFigures & WithHearth) | null;
  readonly telemetry: ReportSection | null;
  /** The DAP mode's figures (null in the LDP mode). */
  readonly dap: ReportSection | null;
}

/** Each client's noise multiplier for `releases` updates within a zCDP budget of `rho`. */
function noiseFor(rho: number, releases: number): number {
  return noiseMultiplierFor(noiseForRho(rho / releases));
}

/** Runs the whole simulation and returns the report. */
export async function runSimulation(
  data: MovieLensData,
  options: SimulationOptions,
): Promise<SimulationReport> {
  const { log } = options;
  const split = leaveLastOut(data.interactions);
  if (options.mode === 'dap') return dapMode(data, split, options);
  if (options.skipFederated) return telemetryOnly(split, options);
  const clients = split.users.map((_, u) => u).filter((u) => (split.train[u]?.length ?? 0) >= 2);
  const gradient = DEFAULT_COLLAB_GRADIENT_OPTIONS;
  const weights = { decay: gradient.decay, longTermWeight: gradient.longTermWeight };
  const rankerOptions = options.ranker ?? DEFAULT_RANKER_ROUNDS;
  const withRanker = options.encoder !== undefined;

  log(`central: training ${DEFAULT_COLLAB_TRAIN_OPTIONS.epochs} epochs on ${clients.length} users`);
  let t0 = performance.now();
  const central = trainCollab(
    split.itemIds,
    split.train,
    DEFAULT_COLLAB_TRAIN_OPTIONS,
    seededRng(options.seed),
  );
  const centralFigures = {
    ...(await evaluateCollab(split, central, weights)),
    seconds: (performance.now() - t0) / 1000,
  };
  log(`central: NDCG@10 ${centralFigures.ndcg10.toFixed(4)}`);

  // Privacy calibration: each client's total zCDP budget for (ε, δ = 1/(10·clients)) is split
  // between its collab updates and (with the ranker) its ranker updates; ρ adds up exactly.
  const rounds =
    options.rounds ??
    DEFAULT_COLLAB_TRAIN_OPTIONS.epochs *
      Math.ceil(clients.length / DEFAULT_COLLAB_TRAIN_OPTIONS.batchUsers);
  const participations = Math.ceil((rounds * options.clientsPerRound) / clients.length);
  const delta = 1 / (10 * clients.length);
  const rho = rhoForBudget(options.epsilon, delta);
  const rankerShare = withRanker ? rankerOptions.budgetShare : 0;
  const noise = noiseFor(rho * (1 - rankerShare), participations);
  const rankerNoise = noiseFor(rho * rankerShare, rankerOptions.participations);

  const strategies = {
    collab: fedAdam({ learningRate: DEFAULT_COLLAB_TRAIN_OPTIONS.learningRate }),
    ranker: fedAdam({ learningRate: rankerOptions.serverLearningRate }),
  };
  return withSimServer(options, strategies, async (transport, storage) => {
    const init = createCollabModel(
      split.itemIds,
      DEFAULT_COLLAB_TRAIN_OPTIONS.dims,
      seededRng(options.seed),
      'collab-init',
    );
    await admin(
      transport,
      'PUT',
      '/v1/admin/model',
      modelUploadBody('collab', flattenCollab(init), {
        kind: 'collab',
        itemIds: [...split.itemIds],
        dims: init.dims,
      }),
    );
    await admin(transport, 'POST', '/v1/admin/round', {
      model: 'collab',
      minUpdates: options.clientsPerRound,
      clipNorm: options.clipNorm,
      noiseMultiplier: noise,
      localSteps: 1,
      learningRate: 1,
    });

    const ledgers: Ledger[] = [];
    const cache: ModelCache = new Map();
    const participants: Participant[] = clients.map((u) => {
      const ledger = createLedger({
        storage: createMemoryLedgerStorage(),
        caps: {
          dailyEpsilon: options.epsilon * (1 + 1e-9),
          lifetimeEpsilon: options.epsilon * (1 + 1e-9),
          delta,
        },
      });
      ledgers.push(ledger);
      const gate = createPrivacyGate({ ledger, fetch: transport.fetch, consent: true });
      return {
        u,
        client: createFederatedClient({
          gate,
          baseUrl: transport.base,
          rng: seededRng(options.seed * 100_003 + u),
          encoding: options.encoding ?? 'q8',
          gradient,
          modelCache: cache,
        }),
      };
    });

    log(
      `federated: ${rounds} rounds × ${options.clientsPerRound} clients, ε = ${options.epsilon}, δ = ${delta.toExponential(2)}, z = ${noise.toFixed(3)}, C = ${options.clipNorm}, ${participations} participations per client (${transport.base})`,
    );
    t0 = performance.now();
    const collabCounts = await runRounds(
      participants,
      {
        rounds,
        perRound: options.clientsPerRound,
        rng: seededRng(options.seed + 7),
        label: 'federated',
      },
      (u) => ({ collabItems: (split.train[u] ?? []).map((row) => split.itemIds[row]!) }),
      log,
    );
    const finalModel = storage.latestModel('collab');
    const fedModel: CollabModel = finalModel
      ? unflattenCollab(
          { itemIds: split.itemIds, dims: init.dims },
          finalModel.params,
          String(finalModel.version),
        )
      : init;
    const fedFigures = await evaluateCollab(split, fedModel, weights);
    const collabSeconds = (performance.now() - t0) / 1000;
    log(
      `federated: NDCG@10 ${fedFigures.ndcg10.toFixed(4)} (${((fedFigures.ndcg10 / centralFigures.ndcg10) * 100).toFixed(1)}% of central)`,
    );

    const telemetry = options.skipTelemetry ? null : await runTelemetry(split, options, transport);

    const hearth =
      options.encoder === undefined
        ? null
        : await runRankerPhase({
            data,
            split,
            encoder: options.encoder,
            federatedCollab: fedModel,
            centralCollab: central,
            ldpCounts: telemetry?.estimated ?? null,
            clients: clients.length,
            participants,
            ranker: rankerOptions,
            noise: rankerNoise,
            budgetShare: rankerShare,
            seed: options.seed,
            transport,
            storage,
            log,
          });

    const spent = await Promise.all(ledgers.map(async (l) => (await l.spent()).lifetime.epsilon));
    const finite = Number.isFinite(options.epsilon);
    const federatedReport = {
      ...fedFigures,
      ndcgRatioToCentral: fedFigures.ndcg10 / centralFigures.ndcg10,
      epsilon: finite ? options.epsilon : 'inf',
      delta,
      noiseMultiplier: noise,
      clipNorm: options.clipNorm,
      budgetShare: 1 - rankerShare,
      encoding: options.encoding ?? 'q8',
      rounds,
      clientsPerRound: options.clientsPerRound,
      participationsPerClient: participations,
      modelVersion: finalModel?.version ?? 0,
      uploads: collabCounts.uploads,
      refusedByLedger: collabCounts.refused,
      bytesPerClientPerRound:
        collabCounts.uploads === 0 ? 0 : collabCounts.uploadedBytes / collabCounts.uploads,
      epsilonSpentPerClientMax: finite ? Math.max(...spent) : 'inf',
      epsilonSpentPerClientMean: finite ? spent.reduce((a, b) => a + b, 0) / spent.length : 'inf',
      transport: options.http ? 'http-loopback' : 'in-process',
      seconds: collabSeconds,
      hearth: hearth?.federated ?? null,
    };
    return {
      federated: federatedReport,
      central: { ...centralFigures, hearth: hearth?.central ?? null },
      telemetry: telemetry?.report ?? null,
      dap: null,
    };
  });
}

/**
 * The DAP mode: with an encoder, the central collab model first (the central engine the DAP one
 * is compared with), then the DAP simulation over freshly started aggregators.
 */
async function dapMode(
  data: MovieLensData,
  split: ReturnType<typeof leaveLastOut>,
  options: SimulationOptions,
): Promise<SimulationReport> {
  const dap = options.dap;
  if (dap === undefined) throw new Error('the DAP mode needs its parameters (options.dap)');
  let central: CollabModel | undefined;
  let centralFigures: (RankingFigures & { seconds: number }) | null = null;
  if (options.encoder !== undefined) {
    options.log(`central: training ${DEFAULT_COLLAB_TRAIN_OPTIONS.epochs} epochs`);
    const t0 = performance.now();
    central = trainCollab(
      split.itemIds,
      split.train,
      DEFAULT_COLLAB_TRAIN_OPTIONS,
      seededRng(options.seed),
    );
    const gradient = DEFAULT_COLLAB_GRADIENT_OPTIONS;
    centralFigures = {
      ...(await evaluateCollab(split, central, {
        decay: gradient.decay,
        longTermWeight: gradient.longTermWeight,
      })),
      seconds: (performance.now() - t0) / 1000,
    };
  }
  const shippedRanker = dap.shippedRanker;
  if (options.encoder !== undefined && shippedRanker === undefined)
    throw new DapSimulationError(
      'the DAP mode with an encoder needs the ranker devices ship with (options.dap.shippedRanker; the CLI reads it from --ranker DIR, default models/ranker).',
    );
  // Started on the first task that goes through the aggregators (none with the sum transport).
  const running: { deployment: Promise<DapSimDeployment> | null } = { deployment: null };
  const aggregators = () => {
    running.deployment ??= dap.start(options.http);
    return running.deployment;
  };
  try {
    const figures = await runDapSimulation(
      data,
      split,
      {
        epsilon: options.epsilon,
        maxItems: dap.maxItems,
        shares: dap.shares,
        transport: dap.transport,
        evaluationK: dap.evaluationK,
        threads: dap.threads,
        seed: options.seed,
        log: options.log,
        ...(dap.items === undefined ? {} : { items: dap.items }),
        ...(dap.population === undefined ? {} : { population: dap.population }),
        ...(dap.noiseDraws === undefined ? {} : { noiseDraws: dap.noiseDraws }),
        ...(dap.transportLimitSeconds === undefined
          ? {}
          : { transportLimitSeconds: dap.transportLimitSeconds }),
        ...(options.encoder === undefined || central === undefined || shippedRanker === undefined
          ? {}
          : { engine: { encoder: options.encoder, centralCollab: central, shippedRanker } }),
      },
      aggregators,
    );
    const { centralHearth, ...rest } = figures;
    return {
      federated: null,
      central:
        centralFigures === null
          ? null
          : { ...centralFigures, hearth: (centralHearth as ReportSection | null) ?? null },
      telemetry: null,
      dap: rest,
    };
  } finally {
    if (running.deployment !== null) await (await running.deployment).close();
  }
}

async function telemetryOnly(
  split: ReturnType<typeof leaveLastOut>,
  options: SimulationOptions,
): Promise<SimulationReport> {
  return withSimServer(options, {}, async (transport) => {
    const items = split.itemIds.map((id) => ({ id, title: id }));
    await admin(transport, 'PUT', '/v1/admin/catalog', items);
    return {
      federated: null,
      central: null,
      telemetry: (await runTelemetry(split, options, transport)).report,
      dap: null,
    };
  });
}
