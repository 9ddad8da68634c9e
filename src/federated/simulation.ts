/**
 * `hearth simulate`: every user of a MovieLens folder becomes a client holding only their own
 * training rows. Rounds run the real federated client (privacy gate, ledger, clip + noise, q8
 * upload) against the real server app — in process through `app.request()`, or with `http` over
 * loopback through `@hono/node-server`. Telemetry runs the real OLH client and the server's
 * estimator. With an encoder, the same clients then train the ranker in federated rounds on
 * top of the federated collab model and the LDP popularity, and the whole engine is evaluated.
 * The centrally trained models (same objectives) are the reference.
 */

import { serve } from '@hono/node-server';
import type { Encoder } from '../encoder/types.ts';
import {
  type CollabModel,
  createCollabModel,
  DEFAULT_COLLAB_GRADIENT_OPTIONS,
} from '../engine/collab-model.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../engine/collab-train.ts';
import { linearRanker } from '../engine/ranker.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../engine/user-state.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { leaveLastOut } from '../eval/split.ts';
import { createPrivacyGate, type GateFetch } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, type Ledger } from '../privacy/ledger.ts';
import { noiseForRho, rhoForBudget } from '../privacy/rdp.ts';
import { createTelemetryClient } from '../privacy/telemetry-client.ts';
import type { ModelUpload } from '../protocol/model.ts';
import type { RoundSettings } from '../protocol/round.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import type { UpdateEncoding } from '../protocol/update.ts';
import { createApp } from '../server/app.ts';
import { openServerStorage, type ServerStorage } from '../server/storage.ts';
import { type AggregationStrategy, fedAdam } from '../server/strategy.ts';
import { seededRng } from '../shared/rng.ts';
import { createFederatedClient, type LocalData, type ModelCache } from './client.ts';
import { modelUploadBody } from './model-upload.ts';
import { flattenCollab, unflattenCollab } from './params.ts';
import { noiseMultiplierFor } from './privatize.ts';
import { expandRankerWeights, learnableFeatures, rankerColumns } from './ranker-update.ts';
import {
  evaluateCollab,
  evaluateHearth,
  evaluatePopularity,
  type RankingFigures,
  topOverlap,
} from './sim-eval.ts';
import { centralRankerWeights, hearthWorlds } from './sim-hearth.ts';

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

/** One JSON value of the report. */
type ReportValue = number | string | null | readonly number[] | RankingFigures | ReportSection;
/** A named group of report values. */
export interface ReportSection {
  readonly [key: string]: ReportValue;
}

/** A section with the whole-engine figures (null without an encoder). */
type WithHearth = ReportSection & { readonly hearth: ReportSection | null };

/** The `--json` report. */
export interface SimulationReport {
  readonly federated: (RankingFigures & WithHearth) | null;
  readonly central: (RankingFigures & WithHearth) | null;
  readonly telemetry: ReportSection | null;
}

const TOKEN = 'simulation-admin';
const BASE = 'http://hearth.sim';
const ADMIN = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function startTransport(
  app: {
    fetch: (r: Request) => Response | Promise<Response>;
    request: (u: string, i: RequestInit) => Response | Promise<Response>;
  },
  http: boolean,
) {
  if (!http) {
    const fetch: GateFetch = async (url, init) => app.request(url, init);
    return { fetch, base: BASE, close: async () => undefined };
  }
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const fetch: GateFetch = (url, init) => globalThis.fetch(url, init);
  return {
    fetch,
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type SimTransport = Awaited<ReturnType<typeof startTransport>>;

/**
 * Runs `task` against a fresh in-memory server (in process, or on loopback with `http`) and
 * always closes both afterwards. Rate limits are off: the simulation is one trusted caller.
 */
async function withSimServer<T>(
  options: SimulationOptions,
  strategies: Readonly<Record<string, AggregationStrategy>>,
  task: (transport: SimTransport, storage: ServerStorage) => Promise<T>,
): Promise<T> {
  const storage = openServerStorage(':memory:');
  const app = createApp({
    storage,
    adminToken: TOKEN,
    strategies,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    limits: { telemetryBytes: 1 << 20 },
    telemetryEpsilon: options.telemetryEpsilon,
  });
  const transport = await startTransport(app, options.http);
  try {
    return await task(transport, storage);
  } finally {
    await transport.close();
    storage.close();
  }
}

/** An admin request; throws with the server's answer unless it succeeded. */
async function admin(
  transport: SimTransport,
  method: 'PUT' | 'POST',
  path: string,
  body: ModelUpload | RoundSettings | readonly { id: string; title: string }[],
): Promise<void> {
  const res = await transport.fetch(`${transport.base}${path}`, {
    method,
    headers: ADMIN,
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

/** One simulated visitor: their index in the split and their federated client. */
interface Participant {
  readonly u: number;
  readonly client: ReturnType<typeof createFederatedClient>;
}

/** Counts of one training phase. */
interface PhaseCounts {
  uploads: number;
  uploadedBytes: number;
  skipped: number;
  refused: number;
}

/**
 * Runs `rounds` cohorts of `perRound` participants, cycling through a seeded shuffle so every
 * client takes part equally often; each participant trains whatever model the round names.
 */
async function runRounds(
  participants: readonly Participant[],
  plan: { rounds: number; perRound: number; rng: () => number; label: string },
  local: (u: number) => LocalData,
  log: (message: string) => void,
): Promise<PhaseCounts> {
  const counts: PhaseCounts = { uploads: 0, uploadedBytes: 0, skipped: 0, refused: 0 };
  let cycle: Participant[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    for (let taken = 0; taken < plan.perRound; taken++) {
      if (cycle.length === 0) cycle = [...participants].sort(() => plan.rng() - 0.5);
      const next = cycle.pop();
      if (next === undefined) break;
      try {
        const out = await next.client.participate(local(next.u));
        if (out.kind === 'uploaded') {
          counts.uploadedBytes += out.bytes;
          counts.uploads++;
        } else counts.skipped++;
      } catch (error) {
        if ((error as Error).name === 'BudgetExceededError') counts.refused++;
        else throw error;
      }
    }
    if ((round + 1) % 20 === 0) log(`${plan.label}: round ${round + 1}/${plan.rounds}`);
  }
  return counts;
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

    let hearth: { federated: ReportSection; central: ReportSection } | null = null;
    if (options.encoder !== undefined) {
      const worlds = await hearthWorlds(data, split, {
        encoder: options.encoder,
        federatedCollab: fedModel,
        centralCollab: central,
        ldpCounts: telemetry?.estimated ?? null,
        userState: DEFAULT_USER_STATE_CONFIG,
        examplesPerUser: rankerOptions.examplesPerClient,
        log,
      });
      // The ranker starts at 0 on every feature it trains (all but the fixed prompt weight).
      const trainedFeatures = learnableFeatures();
      const columns = rankerColumns(trainedFeatures);
      await admin(
        transport,
        'PUT',
        '/v1/admin/model',
        modelUploadBody('ranker', new Float32Array(trainedFeatures.length), {
          kind: 'ranker',
          features: trainedFeatures,
        }),
      );
      await admin(transport, 'POST', '/v1/admin/round', {
        model: 'ranker',
        minUpdates: rankerOptions.clientsPerRound,
        clipNorm: rankerOptions.clipNorm,
        noiseMultiplier: rankerNoise,
        localSteps: rankerOptions.localSteps,
        learningRate: rankerOptions.learningRate,
      });
      // Whole cohorts only, so no client is asked for more updates than its noise allows.
      const rankerRounds = Math.max(
        1,
        Math.floor((rankerOptions.participations * clients.length) / rankerOptions.clientsPerRound),
      );
      log(
        `hearth: ${rankerRounds} ranker rounds × ${rankerOptions.clientsPerRound} clients, z = ${rankerNoise.toFixed(3)}, C = ${rankerOptions.clipNorm}, ${worlds.federatedGroups.size} clients with a local example`,
      );
      const t1 = performance.now();
      const groups = worlds.federatedGroups;
      const rankerCounts = await runRounds(
        participants,
        {
          rounds: rankerRounds,
          perRound: rankerOptions.clientsPerRound,
          rng: seededRng(options.seed + 11),
          label: 'hearth ranker',
        },
        (u) => ({ rankerGroups: groups.get(u) ?? [] }),
        log,
      );
      const fedRanker = storage.latestModel('ranker');
      const fedWeights = expandRankerWeights(
        columns,
        fedRanker?.params ?? new Float32Array(trainedFeatures.length),
      );
      const userState = DEFAULT_USER_STATE_CONFIG;
      const federatedHearth = await evaluateHearth(
        split,
        worlds.federated,
        linearRanker('federated', fedWeights, 0),
        userState,
      );
      const untrained = await evaluateHearth(
        split,
        worlds.federated,
        linearRanker(
          'untrained',
          expandRankerWeights(columns, new Float32Array(trainedFeatures.length)),
          0,
        ),
        userState,
      );
      const sameModelsWeights = centralRankerWeights(groups);
      const centralRankerOnFederated = await evaluateHearth(
        split,
        worlds.federated,
        linearRanker('central-on-federated', sameModelsWeights, 0),
        userState,
      );
      const centralWeights = centralRankerWeights(worlds.centralGroups);
      const centralHearth = await evaluateHearth(
        split,
        worlds.central,
        linearRanker('central', centralWeights, 0),
        userState,
      );
      const rounded = (w: readonly number[]) => w.map((x) => Math.round(x * 1e4) / 1e4);
      hearth = {
        federated: {
          ...federatedHearth,
          ndcgRatioToCentral: federatedHearth.ndcg10 / centralHearth.ndcg10,
          ndcgRatioToCentralRanker: federatedHearth.ndcg10 / centralRankerOnFederated.ndcg10,
          untrainedRanker: untrained,
          centralRankerOnFederatedModels: centralRankerOnFederated,
          weights: rounded(fedWeights),
          budgetShare: rankerShare,
          noiseMultiplier: rankerNoise,
          clipNorm: rankerOptions.clipNorm,
          rounds: rankerRounds,
          clientsPerRound: rankerOptions.clientsPerRound,
          participationsPerClient: rankerOptions.participations,
          clientsWithExample: groups.size,
          examples: [...groups.values()].reduce((n, g) => n + g.length, 0),
          modelVersion: fedRanker?.version ?? 0,
          uploads: rankerCounts.uploads,
          skipped: rankerCounts.skipped,
          refusedByLedger: rankerCounts.refused,
          bytesPerUpload:
            rankerCounts.uploads === 0 ? 0 : rankerCounts.uploadedBytes / rankerCounts.uploads,
          seconds: (performance.now() - t1) / 1000,
        },
        central: { ...centralHearth, weights: rounded(centralWeights) },
      };
      log(
        `hearth: federated NDCG@10 ${federatedHearth.ndcg10.toFixed(4)}, central ${centralHearth.ndcg10.toFixed(4)} (same models, central ranker ${centralRankerOnFederated.ndcg10.toFixed(4)}; untrained ${untrained.ndcg10.toFixed(4)})`,
      );
    }

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
    };
  });
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
    };
  });
}

async function runTelemetry(
  split: ReturnType<typeof leaveLastOut>,
  options: SimulationOptions,
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
