/**
 * The thin server as a Hono app. `createApp(deps)` builds the services over injected storage,
 * strategy and clock and mounts one route sub-app per concept (routes/) behind the shared
 * middleware (middleware/); it never listens (see src/cli/serve.ts), so tests call
 * `app.request()` in memory. No client field is trusted, no IP address or identifier is stored.
 */
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAggregates } from './aggregates.ts';
import { createCatalog } from './catalog.ts';
import { errorHandler, notFound } from './middleware/error-handler.ts';
import { rateLimit, socketConnection } from './middleware/rate-limit.ts';
import { requireAdmin } from './middleware/require-admin.ts';
import { createModelBodies } from './model-bodies.ts';
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
  /** Per-connection rate limit; default 200 requests/s sustained, burst 400. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Connection identity for rate limiting; default the Node socket (one shared object in memory). */
  readonly connection?: (c: Context) => object;
  /** Body limits in bytes (updates are limited by the model size automatically). */
  readonly limits?: { readonly telemetryBytes?: number; readonly adminBytes?: number };
  readonly onError?: (error: unknown) => void;
}

/** Builds the Hono app over `deps`; call `ready()`-free: pending aggregation is resumed here. */
export function createApp(deps: AppDeps) {
  const now = deps.now ?? Date.now;
  const { storage } = deps;
  const fallback = deps.strategy ?? fedAvg();
  const strategy = (model: string) => deps.strategies?.[model] ?? fallback;
  const rounds = createRounds({ storage, strategy, now, onError: deps.onError });
  const catalog = createCatalog(storage);
  const aggregates = createAggregates(storage, deps.telemetryEpsilon ?? 2);
  // One cache shared by GET /v1/model and GET /v1/aggregates (which reads the collab layout).
  const modelBodies = createModelBodies(storage);
  const admin = requireAdmin({ token: deps.adminToken });
  const adminBytes = deps.limits?.adminBytes ?? 64 * 1024 * 1024;
  // A crash between accepting the k-th update and aggregating leaves a full round: finish it.
  // (If the database is busy now, the next accepted update retries.)
  try {
    rounds.maybeAggregate();
  } catch (error) {
    deps.onError?.(error);
  }

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
  app.use(
    '/v1/*',
    rateLimit({
      perSecond: deps.rateLimit?.perSecond ?? 200,
      burst: deps.rateLimit?.burst ?? 400,
      connection: deps.connection ?? socketConnection,
      now,
    }),
  );

  app.get('/healthz', (c) =>
    c.json({ ok: true, modelVersion: rounds.config()?.modelVersion ?? null }),
  );
  app.route('/v1', catalogRoutes({ catalog, admin, adminBytes }));
  app.route('/v1', modelRoutes({ storage, modelBodies, now, admin, adminBytes }));
  app.route('/v1', roundRoutes({ storage, rounds, admin }));
  app.route(
    '/v1',
    telemetryRoutes({
      storage,
      aggregates,
      catalog,
      modelBodies,
      telemetryBytes: deps.limits?.telemetryBytes ?? 64 * 1024,
    }),
  );

  return app;
}
