/**
 * The thin server as a Hono app. `createApp(deps)` builds the services over injected storage,
 * strategy and clock and mounts one route sub-app per concept (routes/) behind the shared
 * middleware (middleware/); it never listens (see src/cli/serve.ts), so tests call
 * `app.request()` in memory. No client field is trusted, no IP address or identifier is stored:
 * rate limits and quotas count per client address in memory, under a keyed hash.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import {
  createAggregates,
  DEFAULT_HASHES_PER_STEP,
  DEFAULT_RETENTION_DAYS,
  itemDomain,
} from './aggregates.ts';
import { createCatalog } from './catalog.ts';
import { clientKeys } from './client-address.ts';
import { DEFAULT_MAX_CLIENTS, windowQuota } from './client-quota.ts';
import { latestEvaluation } from './dap/evaluation.ts';
import { createDapLeader, type DapLeader, type DapLeaderOptions } from './dap/leader.ts';
import { dapPopularity, dapPopularityVersion } from './dap/publish.ts';
import { errorHandler, notFound } from './middleware/error-handler.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requireAdmin } from './middleware/require-admin.ts';
import { createModelBodies } from './model-bodies.ts';
import { createReportWriter } from './report-writer.ts';
import { createRounds } from './rounds.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { modelRoutes } from './routes/models.ts';
import { roundRoutes } from './routes/rounds.ts';
import { telemetryRoutes } from './routes/telemetry.ts';
import type { ServerStorage } from './storage.ts';
import { type AggregationStrategy, fedAvg } from './strategy.ts';

/** Everything the app needs; only `storage` is required. */
export interface AppDeps {
  readonly storage: ServerStorage;
  /** Bearer token for /v1/admin/*; when absent the admin endpoints always answer 401. */
  readonly adminToken?: string;
  /** Allowed CORS origins; default none (same-origin only). */
  readonly corsOrigins?: readonly string[];
  /** Aggregation strategy; default FedAvg with server learning rate 1. */
  readonly strategy?: AggregationStrategy;
  /** Per-model strategies (by model name) that replace `strategy` for those models. */
  readonly strategies?: Readonly<Record<string, AggregationStrategy>>;
  /** ε per LDP report this server accepts; default 2. */
  readonly telemetryEpsilon?: number;
  readonly now?: () => number;
  /** Per-client-address rate limit; default 200 requests/s sustained, burst 400. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /**
   * Read the client address from the last X-Forwarded-For entry (only behind a reverse proxy
   * that sets it); default false: the socket's peer address.
   */
  readonly trustProxy?: boolean;
  /** Per-client-address quotas (requests made in process, without a socket, are exempt). */
  readonly quotas?: QuotaOptions;
  /** Telemetry retention and the background aggregation of reports. */
  readonly telemetry?: TelemetryOptions;
  /** Body limits in bytes (updates are limited by the model size automatically). */
  readonly limits?: { readonly telemetryBytes?: number; readonly adminBytes?: number };
  readonly onError?: (error: unknown) => void;
  /**
   * The DAP leader role (`hearth serve --role leader`): mounts the DAP-09 leader under /dap/ and
   * its task routes under /v1, and serves the DAP popularity prior from /v1/aggregates once one
   * is published. Absent: the single thin server (the LDP fallback).
   */
  readonly dap?: DapLeaderOptions;
}

/** Per-client-address quotas; defaults in DEFAULT_QUOTAS. */
export interface QuotaOptions {
  /** Updates accepted per address per round (model version). */
  readonly updatesPerRound?: number;
  /** OLH reports accepted per address per UTC day. */
  readonly reportsPerDay?: number;
  /** Addresses remembered at once per counter (least recently seen forgotten first). */
  readonly maxClients?: number;
}

/**
 * 2 updates per address per round (a household behind one address may hold two visitors; a
 * round needs k = 16 by default) and 100 reports per address per day (a visitor at the default
 * daily cap ε = 8 sends 4 reports at ε = 2, so 25 visitors behind one address).
 */
export const DEFAULT_QUOTAS = { updatesPerRound: 2, reportsPerDay: 100 } as const;

/** Telemetry storage and aggregation options. */
export interface TelemetryOptions {
  /** Days a report is kept and counted; default 30. */
  readonly retentionDays?: number;
  /** Report × item hashes per background aggregation step; default 100,000 (≈ 3 ms). */
  readonly hashesPerStep?: number;
  /** Longest a GET /v1/aggregates waits for the newest reports to be counted; default 2,000 ms. */
  readonly maxWaitMs?: number;
  /** How often expired reports are looked for without traffic; default hourly. */
  readonly maintenanceMs?: number;
}

/** Builds the Hono app over `deps`; call `ready()`-free: pending aggregation is resumed here. */
export function createApp(deps: AppDeps) {
  return buildApp(deps).app;
}

/** The app and, in the leader role, the DAP leader (its drivers, for `close()` and tests). */
export function buildApp(deps: AppDeps): { app: Hono; dap: DapLeader | null } {
  const now = deps.now ?? Date.now;
  const { storage } = deps;
  const fallback = deps.strategy ?? fedAvg();
  const strategy = (model: string) => deps.strategies?.[model] ?? fallback;
  const rounds = createRounds({ storage, strategy, now, onError: deps.onError });
  const catalog = createCatalog(storage);
  // One cache shared by GET /v1/model and GET /v1/aggregates (which reads the collab layout).
  const modelBodies = createModelBodies(storage);
  const aggregates = createAggregates({
    storage,
    epsilon: deps.telemetryEpsilon ?? 2,
    domain: itemDomain(catalog, modelBodies, storage),
    now,
    retentionDays: deps.telemetry?.retentionDays ?? DEFAULT_RETENTION_DAYS,
    hashesPerStep: deps.telemetry?.hashesPerStep ?? DEFAULT_HASHES_PER_STEP,
    onError: deps.onError,
  });
  // Counts are rebuilt from the stored reports, and expired ones deleted, in the background; the
  // timer looks for expired reports on a server without traffic (unref: it never keeps Node up).
  aggregates.notify();
  setInterval(aggregates.notify, deps.telemetry?.maintenanceMs ?? 3_600_000).unref();
  const client = clientKeys({ trustProxy: deps.trustProxy ?? false });
  const maxClients = deps.quotas?.maxClients ?? DEFAULT_MAX_CLIENTS;
  const admin = requireAdmin({ token: deps.adminToken });
  const adminBytes = deps.limits?.adminBytes ?? 64 * 1024 * 1024;
  // A crash between accepting the k-th update and aggregating leaves a full round: finish it.
  // (If the database is busy now, the next accepted update retries.)
  try {
    rounds.maybeAggregate();
  } catch (error) {
    deps.onError?.(error);
  }

  const dap =
    deps.dap === undefined
      ? null
      : createDapLeader(deps.dap, {
          server: storage,
          admin,
          adminToken: deps.adminToken,
          client,
          now,
          maxClients,
          onError: deps.onError,
        });

  const app = new Hono();
  app.onError(errorHandler({ onError: deps.onError }));
  app.notFound(notFound());
  // Middleware first: app.route() copies the sub-apps' handlers behind what is registered here.
  app.use(
    '*',
    cors({
      origin: [...(deps.corsOrigins ?? [])],
      allowMethods: ['GET', 'POST', 'PUT'],
      exposeHeaders: ['ETag'],
    }),
  );
  const limiter = rateLimit({
    perSecond: deps.rateLimit?.perSecond ?? 200,
    burst: deps.rateLimit?.burst ?? 400,
    client,
    now,
    maxClients,
  });
  app.use('/v1/*', limiter);
  app.use('/dap/*', limiter);

  app.get('/healthz', (c) =>
    c.json({ ok: true, modelVersion: rounds.config()?.modelVersion ?? null }),
  );
  app.route('/v1', catalogRoutes({ catalog, admin, adminBytes }));
  app.route(
    '/v1',
    modelRoutes({
      storage,
      modelBodies,
      now,
      admin,
      adminBytes,
      ...(dap === null
        ? {}
        : { evaluations: (model, candidate) => latestEvaluation(dap.storage, model, candidate) }),
    }),
  );
  app.route(
    '/v1',
    roundRoutes({
      storage,
      rounds,
      admin,
      client,
      now,
      updatesPerRound: windowQuota(
        deps.quotas?.updatesPerRound ?? DEFAULT_QUOTAS.updatesPerRound,
        maxClients,
      ),
    }),
  );
  app.route(
    '/v1',
    telemetryRoutes({
      aggregates,
      writer: createReportWriter(storage),
      client,
      now,
      telemetryBytes: deps.limits?.telemetryBytes ?? 64 * 1024,
      reportsPerDay: windowQuota(
        deps.quotas?.reportsPerDay ?? DEFAULT_QUOTAS.reportsPerDay,
        maxClients,
      ),
      maxWaitMs: deps.telemetry?.maxWaitMs ?? 2_000,
      dap:
        dap === null
          ? undefined
          : {
              version: () => dapPopularityVersion(dap.storage),
              estimate: (limit) => dapPopularity(dap.storage, limit),
            },
    }),
  );
  if (dap !== null) {
    app.route('/dap', dap.dap);
    app.route('/v1', dap.v1);
  }

  return { app, dap };
}
