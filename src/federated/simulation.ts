/**
 * `hearth simulate`: every user of a MovieLens folder becomes a client holding only their own
 * training rows. Rounds run the real federated client (privacy gate, ledger, clip + noise, q8
 * upload) against the real server app — in process through `app.request()`, or with `http` over
 * loopback through `@hono/node-server`. Telemetry runs the real OLH client and the server's
 * estimator. The centrally trained model (same objective, `trainCollab`) is the reference.
 */

import { serve } from '@hono/node-server';
import {
  type CollabModel,
  createCollabModel,
  DEFAULT_COLLAB_GRADIENT_OPTIONS,
} from '../engine/collab-model.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS, trainCollab } from '../engine/collab-train.ts';
import type { MovieLensData } from '../eval/movielens.ts';
import { leaveLastOut } from '../eval/split.ts';
import { createPrivacyGate, type GateFetch } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, type Ledger } from '../privacy/ledger.ts';
import { noiseForBudget } from '../privacy/rdp.ts';
import { createTelemetryClient } from '../privacy/telemetry-client.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import type { UpdateEncoding } from '../protocol/update.ts';
import { type AppDeps, createApp } from '../server/app.ts';
import { openServerStorage, type ServerStorage } from '../server/storage.ts';
import { fedAdam } from '../server/strategy.ts';
import { seededRng } from '../shared/rng.ts';
import { createFederatedClient, type ModelCache } from './client.ts';
import { modelUploadBody } from './model-upload.ts';
import { flattenCollab, unflattenCollab } from './params.ts';
import { noiseMultiplierFor } from './privatize.ts';
import { evaluateCollab, evaluatePopularity, type RankingFigures, topOverlap } from './sim-eval.ts';

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

/** The `--json` report. */
export interface SimulationReport {
  readonly federated: (RankingFigures & Record<string, number | string | null>) | null;
  readonly central: (RankingFigures & { readonly seconds: number }) | null;
  readonly telemetry: Record<string, number | string | RankingFigures> | null;
}

const TOKEN = 'simulation-admin';
const BASE = 'http://hearth.sim';

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
  strategy: AppDeps['strategy'],
  task: (transport: SimTransport, storage: ServerStorage) => Promise<T>,
): Promise<T> {
  const storage = openServerStorage(':memory:');
  const app = createApp({
    storage,
    adminToken: TOKEN,
    ...(strategy === undefined ? {} : { strategy }),
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

  log(`central: training ${DEFAULT_COLLAB_TRAIN_OPTIONS.epochs} epochs on ${clients.length} users`);
  let t0 = performance.now();
  const central = trainCollab(
    split.itemIds,
    split.train,
    DEFAULT_COLLAB_TRAIN_OPTIONS,
    seededRng(options.seed),
  );
  const centralFigures = {
    ...evaluateCollab(split, central, weights),
    seconds: (performance.now() - t0) / 1000,
  };
  log(`central: NDCG@10 ${centralFigures.ndcg10.toFixed(4)}`);

  // Privacy calibration: each client takes part m times; δ = 1/(10·clients).
  const rounds =
    options.rounds ??
    DEFAULT_COLLAB_TRAIN_OPTIONS.epochs *
      Math.ceil(clients.length / DEFAULT_COLLAB_TRAIN_OPTIONS.batchUsers);
  const participations = Math.ceil((rounds * options.clientsPerRound) / clients.length);
  const delta = 1 / (10 * clients.length);
  const noise = Number.isFinite(options.epsilon)
    ? noiseMultiplierFor(noiseForBudget(options.epsilon, delta, participations))
    : 0;

  return withSimServer(
    options,
    fedAdam({ learningRate: DEFAULT_COLLAB_TRAIN_OPTIONS.learningRate }),
    async (transport, storage) => {
      const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const init = createCollabModel(
        split.itemIds,
        DEFAULT_COLLAB_TRAIN_OPTIONS.dims,
        seededRng(options.seed),
        'collab-init',
      );
      const params = flattenCollab(init);
      await transport.fetch(`${transport.base}/v1/admin/model`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(
          modelUploadBody('collab', params, {
            kind: 'collab',
            itemIds: [...split.itemIds],
            dims: init.dims,
          }),
        ),
      });
      await transport.fetch(`${transport.base}/v1/admin/round`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({
          minUpdates: options.clientsPerRound,
          clipNorm: options.clipNorm,
          noiseMultiplier: noise,
          localSteps: 1,
          learningRate: 1,
        }),
      });

      const ledgers: Ledger[] = [];
      const cache: ModelCache = new Map();
      const federated = clients.map((u) => {
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
      const order = seededRng(options.seed + 7);
      let cycle: typeof federated = [];
      let uploadedBytes = 0;
      let uploads = 0;
      let refused = 0;
      for (let round = 0; round < rounds; round++) {
        const chosen: typeof federated = [];
        while (chosen.length < options.clientsPerRound) {
          if (cycle.length === 0) cycle = [...federated].sort(() => order() - 0.5);
          const next = cycle.pop();
          if (next) chosen.push(next);
        }
        for (const { u, client } of chosen) {
          try {
            const out = await client.participate(split.train[u] ?? []);
            if (out.kind === 'uploaded') {
              uploadedBytes += out.bytes;
              uploads++;
            }
          } catch (error) {
            if ((error as Error).name === 'BudgetExceededError') refused++;
            else throw error;
          }
        }
        if ((round + 1) % 20 === 0) log(`federated: round ${round + 1}/${rounds}`);
      }
      const finalModel = storage.latestModel('collab');
      const fedModel: CollabModel = finalModel
        ? unflattenCollab(
            { itemIds: split.itemIds, dims: init.dims },
            finalModel.params,
            String(finalModel.version),
          )
        : init;
      const fedFigures = evaluateCollab(split, fedModel, weights);
      const spent = await Promise.all(ledgers.map(async (l) => (await l.spent()).lifetime.epsilon));
      const federatedReport = {
        ...fedFigures,
        ndcgRatioToCentral: fedFigures.ndcg10 / centralFigures.ndcg10,
        epsilon: Number.isFinite(options.epsilon) ? options.epsilon : 'inf',
        delta,
        noiseMultiplier: noise,
        clipNorm: options.clipNorm,
        encoding: options.encoding ?? 'q8',
        rounds,
        clientsPerRound: options.clientsPerRound,
        participationsPerClient: participations,
        modelVersion: finalModel?.version ?? 0,
        uploads,
        refusedByLedger: refused,
        bytesPerClientPerRound: uploads === 0 ? 0 : uploadedBytes / uploads,
        epsilonSpentPerClientMax: Number.isFinite(options.epsilon) ? Math.max(...spent) : 'inf',
        epsilonSpentPerClientMean: Number.isFinite(options.epsilon)
          ? spent.reduce((a, b) => a + b, 0) / spent.length
          : 'inf',
        transport: options.http ? 'http-loopback' : 'in-process',
        seconds: (performance.now() - t0) / 1000,
      };
      log(
        `federated: NDCG@10 ${fedFigures.ndcg10.toFixed(4)} (${(federatedReport.ndcgRatioToCentral * 100).toFixed(1)}% of central)`,
      );

      const telemetry = options.skipTelemetry
        ? null
        : await runTelemetry(split, options, transport);
      return { federated: federatedReport, central: centralFigures, telemetry };
    },
  );
}

async function telemetryOnly(
  split: ReturnType<typeof leaveLastOut>,
  options: SimulationOptions,
): Promise<SimulationReport> {
  return withSimServer(options, undefined, async (transport) => {
    const items = split.itemIds.map((id) => ({ id, title: id }));
    await transport.fetch(`${transport.base}/v1/admin/catalog`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(items),
    });
    return {
      federated: null,
      central: null,
      telemetry: await runTelemetry(split, options, transport),
    };
  });
}

async function runTelemetry(
  split: ReturnType<typeof leaveLastOut>,
  options: SimulationOptions,
  transport: { fetch: GateFetch; base: string },
): Promise<Record<string, number | string | RankingFigures>> {
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
  const ldp = evaluatePopularity(split, estimated);
  const exact = evaluatePopularity(split, truth);
  return {
    epsilonPerReport: options.telemetryEpsilon,
    reports,
    epsilonPerClientMean: perClientEpsilon.reduce((a, b) => a + b, 0) / perClientEpsilon.length,
    ldpPopularity: ldp,
    truePopularity: exact,
    ndcgRatio: ldp.ndcg10 / exact.ndcg10,
    top100Overlap: topOverlap(estimated, truth, 100),
    seconds: (performance.now() - t0) / 1000,
  };
}
