/**
 * The thin server as a Hono app. `createApp(deps)` wires routes over injected storage, strategy
 * and clock; it never listens (see src/cli/serve.ts), so tests call `app.request()` in memory.
 * Every body is `unknown` until a zod schema from src/protocol/ accepts it; no client field is
 * trusted, no IP address or identifier is stored.
 */
import { timingSafeEqual } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { catalogFullSchema, catalogItemInputSchema } from '../protocol/catalog.ts';
import {
  layoutLength,
  ModelLayoutSchema,
  type ModelsResponse,
  ModelUploadSchema,
  PromoteSchema,
  servedName,
} from '../protocol/model.ts';
import { RoundSettingsSchema } from '../protocol/round.ts';
import { TelemetryBatchSchema } from '../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { fnv1a } from '../shared/hash.ts';
import { decodeUpdateFrame, UpdateFrameError } from '../wire/update-codec.ts';
import { createAggregates } from './aggregates.ts';
import { createCatalog } from './catalog.ts';
import { databaseError, HttpError } from './http-error.ts';
import { rateLimit } from './rate-limit.ts';
import { createRounds } from './rounds.ts';
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

const IN_PROCESS = {};

/** Served versions kept (older copies are deleted on each promotion). */
const KEEP_SERVED_VERSIONS = 2;

function defaultConnection(c: Context): object {
  const env = c.env as { incoming?: { socket?: object } } | undefined;
  return env?.incoming?.socket ?? IN_PROCESS;
}

function zodReasons(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string[] {
  return error.issues
    .slice(0, 20)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new HttpError(
      415,
      'bad_content_type',
      `expected content-type application/json, got '${type || 'none'}'.`,
    );
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'bad_json', `body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(limit: number) {
  return () => {
    throw new HttpError(413, 'too_large', `body exceeds the limit of ${limit} bytes.`);
  };
}

function limit(maxSize: number): MiddlewareHandler {
  return bodyLimit({ maxSize, onError: tooLarge(maxSize) });
}

/**
 * Reads a binary body up to `maxBytes` (413 beyond). Under @hono/node-server it reads the Node
 * request stream directly (one copy, no web-stream adapter); elsewhere it uses the Request.
 */
async function readBinaryBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) tooLarge(maxBytes)();
  const env = c.env as
    | { incoming?: AsyncIterable<Buffer> & { readableDidRead?: boolean } }
    | undefined;
  const incoming = env?.incoming;
  if (incoming === undefined || incoming.readableDidRead === true) {
    const buffer = new Uint8Array(await c.req.arrayBuffer());
    if (buffer.byteLength > maxBytes) tooLarge(maxBytes)();
    return buffer;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += chunk.byteLength;
    if (size > maxBytes) tooLarge(maxBytes)();
    chunks.push(chunk);
  }
  const joined = Buffer.concat(chunks, size);
  // A plain Uint8Array view: Buffer#slice shares memory, Uint8Array#slice copies (callers rely on it).
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

function base64ToFloat32(data: string): Float32Array {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length % 4 !== 0)
    throw new HttpError(400, 'invalid', 'model data is not a whole number of float32 values');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
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
  const telemetryBytes = deps.limits?.telemetryBytes ?? 64 * 1024;
  const adminBytes = deps.limits?.adminBytes ?? 64 * 1024 * 1024;
  // A crash between accepting the k-th update and aggregating leaves a full round: finish it.
  // (If the database is busy now, the next accepted update retries.)
  try {
    rounds.maybeAggregate();
  } catch (error) {
    deps.onError?.(error);
  }

  const app = new Hono();
  app.onError((error, c) => {
    const http = error instanceof HttpError ? error : databaseError(error);
    if (http !== null) {
      for (const [k, v] of Object.entries(http.headers ?? {})) c.header(k, v);
      return c.json(http.body(), http.status);
    }
    deps.onError?.(error);
    return c.json(
      { error: { code: 'internal' as const, message: 'internal error; see the server log.' } },
      500,
    );
  });
  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found' as const, message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
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
      connection: deps.connection ?? defaultConnection,
      now,
    }),
  );

  const requireAdmin: MiddlewareHandler = async function requireAdmin(c, next) {
    const expected = deps.adminToken;
    if (expected === undefined || expected === '') {
      throw new HttpError(
        401,
        'unauthorized',
        'admin endpoints are disabled; start the server with HEARTH_ADMIN_TOKEN set.',
      );
    }
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      c.header('www-authenticate', 'Bearer');
      throw new HttpError(
        401,
        'unauthorized',
        'missing or wrong admin token; send Authorization: Bearer <HEARTH_ADMIN_TOKEN>.',
      );
    }
    await next();
  };

  app.get('/healthz', (c) =>
    c.json({ ok: true, modelVersion: rounds.config()?.modelVersion ?? null }),
  );

  app.get('/v1/catalog', (c) => {
    const version = catalog.version();
    const sinceRaw = c.req.query('since');
    const etag = `"c-${version}${sinceRaw === undefined ? '' : `-s${sinceRaw}`}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    const since = sinceRaw === undefined ? Number.NaN : Number(sinceRaw);
    if (Number.isInteger(since) && since >= 0 && since <= version)
      return c.json(catalog.delta(since));
    return c.json(catalog.full());
  });

  // Encoding a model is megabytes of base64: keep the last body per model version.
  const modelBodies = new Map<
    string,
    { version: number; entry: ModelsResponse['models'][number] }
  >();
  const modelEntry = (name: string): ModelsResponse['models'][number] | null => {
    const version = storage.latestVersion(name);
    if (version === null) return null;
    const cached = modelBodies.get(name);
    if (cached?.version === version) return cached.entry;
    const m = storage.latestModel(name);
    if (m === null) return null;
    const layout =
      m.layout === null ? undefined : ModelLayoutSchema.safeParse(JSON.parse(m.layout)).data;
    const entry = {
      name: m.name,
      version: m.version,
      length: m.params.length,
      encoding: 'f32-base64' as const,
      data: Buffer.from(m.params.buffer, m.params.byteOffset, m.params.byteLength).toString(
        'base64',
      ),
      ...(layout ? { layout } : {}),
    };
    modelBodies.set(name, { version: m.version, entry });
    return entry;
  };

  app.get('/v1/model', (c) => {
    const wanted = c.req.query('name');
    const names = storage.modelNames().filter((n) => wanted === undefined || n === wanted);
    const versions = names.map((n) => `${n}.${storage.latestVersion(n) ?? 'none'}`);
    const etag = `"m-${versions.join('-')}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    const body: ModelsResponse = {
      v: PROTOCOL_VERSION,
      kind: 'models',
      models: names.flatMap((n) => {
        const entry = modelEntry(n);
        return entry === null ? [] : [entry];
      }),
    };
    return c.json(body);
  });

  app.get('/v1/round', (c) => {
    const config = rounds.config();
    if (config === null)
      throw new HttpError(404, 'not_found', 'no round is open: no model has been published yet.');
    c.header('cache-control', 'no-store');
    return c.json(config);
  });

  app.post('/v1/updates', async (c) => {
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/octet-stream')) {
      throw new HttpError(
        415,
        'bad_content_type',
        `updates are binary frames: send content-type application/octet-stream, got '${type || 'none'}'.`,
      );
    }
    const bytes = await readBinaryBody(c, 4104 + 4 * (rounds.config()?.length ?? 1));
    let frame: ReturnType<typeof decodeUpdateFrame>;
    try {
      frame = decodeUpdateFrame(bytes);
    } catch (error) {
      if (error instanceof UpdateFrameError)
        throw new HttpError(400, 'invalid', 'update frame rejected', error.reasons);
      throw error;
    }
    const ack = rounds.accept(frame.header, frame.payload, frame.norm);
    return c.json(
      { v: PROTOCOL_VERSION, kind: 'ack' as const, id: frame.header.id, ...ack },
      ack.status === 'accepted' ? 202 : 200,
    );
  });

  app.post('/v1/telemetry', limit(telemetryBytes), async (c) => {
    const parsed = TelemetryBatchSchema.safeParse(await readJson(c));
    if (!parsed.success)
      throw new HttpError(400, 'invalid', 'telemetry batch rejected', zodReasons(parsed.error));
    const batch = parsed.data;
    if (batch.epsilon !== aggregates.params.epsilon) {
      throw new HttpError(400, 'invalid', 'telemetry batch rejected', [
        `epsilon ${batch.epsilon} is not this server's per-report epsilon ${aggregates.params.epsilon}`,
      ]);
    }
    const bad = batch.reports.findIndex(([, value]) => value >= aggregates.params.range);
    if (bad >= 0)
      throw new HttpError(400, 'invalid', 'telemetry batch rejected', [
        `reports.${bad}: value must be < hash range ${aggregates.params.range}`,
      ]);
    storage.insertReports(batch.epsilon, batch.reports);
    return c.json(
      { v: PROTOCOL_VERSION, kind: 'telemetry-ack' as const, accepted: batch.reports.length },
      202,
    );
  });

  app.get('/v1/aggregates', (c) => {
    let domain = catalog.itemIds();
    if (domain.length === 0) {
      const layout = modelEntry('collab')?.layout;
      domain = layout?.kind === 'collab' ? [...layout.itemIds] : [];
    }
    if (domain.length === 0)
      throw new HttpError(
        404,
        'not_found',
        'no item domain: upload a catalog (PUT /v1/admin/catalog) first.',
      );
    const limitParam = Number(c.req.query('limit') ?? '100');
    const top =
      Number.isInteger(limitParam) && limitParam > 0 ? Math.min(limitParam, domain.length) : 100;
    const etag = `"a-${aggregates.watermark()}-${catalog.version()}-${fnv1a(domain.join('\n'))}-${top}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    return c.json(aggregates.estimate(domain, top));
  });

  app.put('/v1/admin/catalog', requireAdmin, limit(adminBytes), async (c) => {
    const raw = await readJson(c);
    const full = Array.isArray(raw)
      ? catalogFullSchema.safeParse({ version: 0, items: raw })
      : catalogFullSchema.safeParse(raw);
    if (!full.success)
      throw new HttpError(400, 'invalid', 'catalog rejected', zodReasons(full.error));
    const items = full.data.items.map((item) => catalogItemInputSchema.parse(item));
    const ids = new Set(items.map((i) => String(i.id)));
    if (ids.size !== items.length)
      throw new HttpError(400, 'invalid', 'catalog rejected', ['item ids must be unique']);
    return c.json({ version: String(catalog.replace(items)), items: items.length });
  });

  app.put('/v1/admin/model', requireAdmin, limit(adminBytes), async (c) => {
    const parsed = ModelUploadSchema.safeParse(await readJson(c));
    if (!parsed.success)
      throw new HttpError(400, 'invalid', 'model rejected', zodReasons(parsed.error));
    const upload = parsed.data;
    const params = base64ToFloat32(upload.data);
    const reasons: string[] = [];
    if (params.length === 0) reasons.push('model has no parameters');
    if (!params.every(Number.isFinite)) reasons.push('model contains NaN or Infinity');
    if (upload.layout && params.length !== layoutLength(upload.layout)) {
      reasons.push(
        `${upload.layout.kind} layout needs ${layoutLength(upload.layout)} values, got ${params.length}`,
      );
    }
    if (reasons.length > 0) throw new HttpError(400, 'invalid', 'model rejected', reasons);
    const version = storage.transaction(() => {
      const next = (storage.latestVersion(upload.name) ?? -1) + 1;
      storage.insertModel({
        name: upload.name,
        version: next,
        params,
        layout: upload.layout ? JSON.stringify(upload.layout) : null,
        state: [],
      });
      storage.setSetting('round_started_at', String(now()));
      return next;
    });
    return c.json({ name: upload.name, version }, 201);
  });

  // Serving is the operator's decision: a trained version is copied to `<name>.served` only
  // on request, so rounds never change what clients recommend with.
  app.post('/v1/admin/promote', requireAdmin, limit(64 * 1024), async (c) => {
    const parsed = PromoteSchema.safeParse(await readJson(c));
    if (!parsed.success)
      throw new HttpError(400, 'invalid', 'promotion rejected', zodReasons(parsed.error));
    const { name, version } = parsed.data;
    const target = servedName(name);
    const result = storage.transaction(() => {
      const latest = storage.latestModel(name);
      if (latest === null)
        throw new HttpError(404, 'not_found', `no model '${name}' is published.`);
      if (version !== undefined && version !== latest.version)
        throw new HttpError(
          409,
          'stale_version',
          `model '${name}' is at version ${latest.version}, not ${version}; promote the current version or check it first.`,
        );
      const next = (storage.latestVersion(target) ?? -1) + 1;
      storage.insertModel({
        name: target,
        version: next,
        params: latest.params,
        layout: latest.layout,
        state: [],
      });
      storage.prune(target, next, KEEP_SERVED_VERSIONS);
      return { name: target, version: next, from: latest.version };
    });
    return c.json(result, 201);
  });

  app.post('/v1/admin/round', requireAdmin, limit(64 * 1024), async (c) => {
    const parsed = RoundSettingsSchema.safeParse(await readJson(c));
    if (!parsed.success)
      throw new HttpError(400, 'invalid', 'round settings rejected', zodReasons(parsed.error));
    storage.setSetting('round', JSON.stringify({ ...rounds.settings(), ...parsed.data }));
    rounds.maybeAggregate();
    return c.json({ settings: rounds.settings(), round: rounds.config() });
  });

  return app;
}
