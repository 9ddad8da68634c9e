/**
 * `npm start` / `hearth start [--port 8080] [--helper-port 8081] [--host 127.0.0.1]
 * [--db .hearth/server.db] [--helper-db .hearth/helper.db] [--rebuild] [--no-seed]
 * [--seed-visitors 300]`: builds the demo when
 * dist/ is missing or older than the sources, then runs both secure-aggregation aggregators with
 * it: on `--port`, the demo and the thin server's /v1 API in the DAP leader role (COOP/COEP
 * headers, long-lived caching for model and WASM files); on `--helper-port`, the DAP helper. Each
 * has its own database and HPKE keys (generated on first start) and a Prio3 preparation thread;
 * the admin and peer tokens are fresh per start and never printed. It publishes the demo's tasks
 * (item popularity over the demo catalog, a ranker update) and names the helper to the page, so
 * the demo's contributions are DAP reports. Prints the URL. Then, in the background, it seeds the
 * shared item-item model from simulated visitors through both aggregators (src/cli/demo-seed.ts),
 * printing its progress, and tells the page about it (`<meta name="hearth-demo-seed">`), so the
 * demo can label those recommendations as learned from simulated visitors.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { z } from 'zod';
import { type CatalogReport, catalogReportLines, hasCatalogErrors } from '../catalog/report.ts';
import { noiseMultiplierFor } from '../federated/privatize.ts';
import { learnableFeatures } from '../federated/ranker-update.ts';
import type { RankerManifest } from '../models/ranker-manifest.ts';
import { noiseForRho, rhoForBudget } from '../privacy/rdp.ts';
import { DEMO_SEED_META, type DemoSeedNote } from '../protocol/demo-seed.ts';
import { buildApp } from '../server/app.ts';
import { createHelperApp } from '../server/dap/helper.ts';
import { createPrepWorker } from '../server/dap/prep-engine.ts';
import { openDapStorage } from '../server/dap/storage.ts';
import { checkAdminToken } from '../server/middleware/require-admin.ts';
import { openServerStorage } from '../server/storage.ts';
import { modelUploadBody } from '../wire/model-upload.ts';
import {
  DEMO_SEED,
  DEMO_SEED_REASON,
  type DemoSeedConfig,
  type DemoSeedOutcome,
  seedDemo,
  seedingNote,
  servedSeedNote,
} from './demo-seed.ts';
import { seedDapTasks } from './demo-tasks.ts';
import { CliUsageError } from './errors.ts';
import { checkDbPath, type Listening, listen } from './listen.ts';

const DIST = resolve('dist');
const DEFAULT_DB = '.hearth/server.db';
const DEFAULT_HELPER_DB = '.hearth/helper.db';
const SOURCES = ['index.html', 'src', 'workers', 'public', 'vite.config.ts'];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (m, name) => Math.max(m, newestMtime(join(path, name))),
    stat.mtimeMs,
  );
}

/** True when dist/ is missing or a source is newer than the last build. */
export function needsBuild(): boolean {
  const built = join(DIST, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > builtAt);
}

/** Builds the demo and the widget with Vite, as a production build whatever NODE_ENV says. */
export async function buildDemo(): Promise<void> {
  const { build: viteBuild } = await import('vite');
  // Vite reads NODE_ENV for import.meta.env.PROD (service worker, thin server); vitest sets 'test'.
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await viteBuild({
      configFile: resolve('vite.config.ts'),
      logLevel: 'warn',
      mode: 'production',
    });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}

/**
 * Keeps the thin server's catalog in step with the demo's catalog file (the one the page loads),
 * so `/v1/catalog` and the DP popularity estimates of `/v1/aggregates` cover the same items: on
 * every start the file replaces the server's catalog (a no-op when nothing changed), with a
 * notice when it did change and the catalog report when some items were skipped.
 */
async function syncServerCatalog(api: Hono, token: string, file: string): Promise<void> {
  if (!existsSync(file)) return;
  const before = (await (await api.request('/v1/catalog')).json()) as { version?: string };
  const response = await api.request('/v1/admin/catalog', {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: await readFile(file, 'utf8'),
  });
  if (!response.ok) {
    process.stderr.write(
      `hearth start: the thin server refused ${file} (HTTP ${response.status}): ${await response.text()}\n`,
    );
    return;
  }
  const after = (await response.json()) as { version: string; report: CatalogReport };
  if (hasCatalogErrors(after.report) || after.report.warnings > 0) {
    process.stderr.write(`hearth start: ${file}: ${catalogReportLines(after.report).join('\n')}\n`);
  }
  if (before.version !== undefined && before.version !== '0' && before.version !== after.version) {
    process.stderr.write(
      `hearth start: the thin server's catalog was updated from ${file} (${after.report.accepted} items, version ${after.version}).\n`,
    );
  }
}

/**
 * ε that one ranker update of the demo costs a visitor (δ = 10⁻⁶, the ledger's): small next to
 * the telemetry's ε = 2 per report, so a day's cap of 8 still leaves room for reports.
 */
const DEMO_UPDATE_EPSILON = 0.25;

/**
 * Opens federated ranker rounds on a fresh demo server, so a visitor with consent can see a model
 * update leave (privacy panel, `Hearth.train()`). The published ranker trains every feature but
 * the fixed prompt weight, starting from the shipped ranker's weights. The noise is set so that
 * one update costs ε = 1. The widget keeps serving the shipped ranker: with one visitor, the
 * demo's rounds show the exchange, not a better model.
 */
async function seedRankerRounds(api: Hono, token: string, manifestFile: string): Promise<void> {
  if (!existsSync(manifestFile)) return;
  const models = (await (await api.request('/v1/model?name=ranker')).json()) as {
    models?: unknown[];
  };
  if ((models.models?.length ?? 0) > 0) return;
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as RankerManifest;
  const features = learnableFeatures();
  const weights = Float32Array.from(
    features,
    (name) => manifest.weights[manifest.features.indexOf(name)] ?? 0,
  );
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const noise = noiseMultiplierFor(noiseForRho(rhoForBudget(DEMO_UPDATE_EPSILON, 1e-6)));
  for (const [path, method, body] of [
    ['/v1/admin/model', 'PUT', modelUploadBody('ranker', weights, { kind: 'ranker', features })],
    [
      '/v1/admin/round',
      'POST',
      { model: 'ranker', clipNorm: 0.5, noiseMultiplier: noise, localSteps: 5, learningRate: 1 },
    ],
  ] as const) {
    const response = await api.request(path, { method, headers, body: JSON.stringify(body) });
    if (!response.ok) {
      process.stderr.write(
        `hearth start: the thin server refused ${path} (HTTP ${response.status}): ${await response.text()}\n`,
      );
      return;
    }
  }
}

/** Options of `startDemo`. */
export interface DemoServerOptions {
  readonly port: number;
  readonly host: string;
  /** SQLite file of the thin server (the DAP leader). */
  readonly db: string;
  /** The helper's port (default 0: any free port). */
  readonly helperPort?: number;
  /** SQLite file of the DAP helper (default `helper.db` beside `db`). */
  readonly helperDb?: string;
  /** The built site (default `dist/`). */
  readonly dist?: string;
  /**
   * Seeds the shared model from simulated visitors through DAP once listening, in the background
   * (src/cli/demo-seed.ts); none when absent.
   */
  readonly seed?: DemoSeedConfig;
  /** Where the seed's progress lines go (default stderr, prefixed `hearth start: `). */
  readonly log?: (line: string) => void;
}

/** A running demo server. */
export interface DemoServer {
  readonly url: string;
  /** The helper's DAP base URL, as the demo page configures it. */
  readonly helperUrl: string;
  /** The seed's outcome (null when no seed was asked for); settles before `close()` returns. */
  readonly seeded: Promise<DemoSeedOutcome | null>;
  close(): Promise<void>;
}

/** Closes a listening server and every connection it holds. */
function closeServer({ server }: Listening): Promise<void> {
  return new Promise<void>((resolveClose) => {
    server.close(() => resolveClose());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

/** The `<meta name>` by which the demo page learns the helper's URL (added to every HTML page). */
export const HELPER_META = 'hearth-helper';

/**
 * Serves the built demo and the thin server's /v1 API in the DAP leader role on one port
 * (COOP/COEP on every answer) and the DAP helper on another.
 */
export async function startDemo(options: DemoServerOptions): Promise<DemoServer> {
  const dist = resolve(options.dist ?? DIST);
  if (!existsSync(join(dist, 'index.html'))) {
    throw new CliUsageError(`${dist} has no index.html; build the demo first (npm run build).`);
  }
  const helperDb =
    options.helperDb ??
    (options.db === ':memory:' ? ':memory:' : join(dirname(options.db), 'helper.db'));
  checkDbPath(options.db, DEFAULT_DB);
  checkDbPath(helperDb, options.helperDb === undefined ? helperDb : DEFAULT_HELPER_DB);
  // The helper listens first so that the leader knows its URL; it answers once built (below),
  // when the demo's origin, which its CORS rule names, is known.
  let helperFetch: (request: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const helper = await listen((r) => helperFetch(r), options.helperPort ?? 0, options.host);
  const helperUrl = `http://${options.host}:${helper.port}/dap/`;
  const storage = openServerStorage(options.db);
  const helperStorage = openDapStorage(helperDb);
  const engines = { leader: createPrepWorker(), helper: createPrepWorker() };
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
  });
  // One-off admin and peer tokens, never printed: only this process seeds the servers, and only
  // the two aggregators it starts talk to each other. 32 random bytes (43 base64url characters),
  // held to the same length rule as HEARTH_ADMIN_TOKEN.
  const adminToken = randomBytes(32).toString('base64url');
  const peerToken = randomBytes(32).toString('base64url');
  checkAdminToken(adminToken, 'the demo admin token');
  const { app: api, dap } = buildApp({
    storage,
    adminToken,
    dap: { engine: engines.leader, helperUrl, peerToken },
  });
  // The seed's note for the page: what is served now; updated as a seed runs.
  let seedNote: DemoSeedNote | null = servedSeedNote(storage);
  const seedAbort = new AbortController();
  let seeded: Promise<DemoSeedOutcome | null> = Promise.resolve(null);
  const closeAll = async (leader: Listening | null) => {
    // A running seed stops after its reports in flight, before the servers and databases close.
    seedAbort.abort();
    await seeded;
    await Promise.all([closeServer(helper), leader === null ? undefined : closeServer(leader)]);
    dap?.close();
    await Promise.all([engines.leader.close(), engines.helper.close()]);
    storage.close();
    helperStorage.close();
  };
  await syncServerCatalog(api, adminToken, join(dist, 'demo-catalog.json'));
  await seedRankerRounds(api, adminToken, join(dist, 'models/ranker/manifest.json'));
  app.route('/', api);
  app.get('*', async (c) => {
    const path = normalize(decodeURIComponent(new URL(c.req.url).pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    let file = join(dist, path);
    if (!file.startsWith(dist)) return c.text('Not found', 404);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      // Pages (no extension) get the app shell; a missing file is a 404, never HTML in disguise.
      if (extname(path) !== '') return c.text(`Not found: ${path}`, 404);
      file = join(dist, 'index.html');
    }
    const immutable =
      (path.startsWith('/models/') && !path.endsWith('manifest.json')) ||
      path.startsWith('/ort/') ||
      path.startsWith('/assets/');
    const body =
      extname(file) === '.html'
        ? (await readFile(file, 'utf8')).replace(
            '</head>',
            `<meta name="${HELPER_META}" content="${helperUrl}">\n${seedNote === null ? '' : `<meta name="${DEMO_SEED_META}" content="${attributeText(JSON.stringify(seedNote))}">\n`}</head>`,
          )
        : await readFile(file);
    return c.body(body, 200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });
  const leader = await listen((r) => app.fetch(r), options.port, options.host).catch(
    async (error: unknown) => {
      await closeAll(null);
      throw error; // main prints it as one line (a busy port names --port)
    },
  );
  const url = `http://${options.host}:${leader.port}/`;
  const helperApp = createHelperApp({
    storage: helperStorage,
    engine: engines.helper,
    peerToken,
    corsOrigins: [new URL(url).origin],
  });
  helperFetch = (r) => helperApp.fetch(r);
  await seedDapTasks(api, adminToken, {
    catalogFile: join(dist, 'demo-catalog.json'),
    leader: `${url}dap/`,
    helper: helperUrl,
  });
  if (options.seed !== undefined) {
    const config = options.seed;
    const log = options.log ?? ((line: string) => process.stderr.write(`hearth start: ${line}\n`));
    const catalogFile = join(dist, 'demo-catalog.json');
    seeded = (async (): Promise<DemoSeedOutcome | null> => {
      // After the caller has printed the URL: the page is usable while the seed runs.
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
      if (seedNote === null) seedNote = seedingNote(config);
      try {
        const outcome = await seedDemo(
          {
            fetch: async (u, init) =>
              u.startsWith(helperUrl) ? helperApp.request(u, init) : api.request(u, init),
            server: url,
            helper: helperUrl,
            adminToken,
            store: storage,
            books: existsSync(catalogFile) ? await readDemoBooks(catalogFile) : [],
            log,
            signal: seedAbort.signal,
          },
          config,
        );
        seedNote = servedSeedNote(storage);
        log(describeSeed(outcome));
        return outcome;
      } catch (error) {
        seedNote = servedSeedNote(storage);
        log(
          `the demo seed failed (${error instanceof Error ? error.message : String(error)}); the demo runs without the shared model of simulated visitors.`,
        );
        return { kind: 'skipped', reason: error instanceof Error ? error.message : String(error) };
      }
    })();
  }
  return { url, helperUrl, seeded, close: () => closeAll(leader) };
}

/** Text safe inside a double-quoted HTML attribute. */
function attributeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const DemoBooksSchema = z.array(
  z.looseObject({
    id: z.string().min(1),
    category: z.string().optional(),
    author: z.string().optional(),
  }),
);

/** The demo catalog's books as the seed's simulated visitors read them (id, category, author). */
async function readDemoBooks(
  file: string,
): Promise<{ id: string; category?: string; author?: string }[]> {
  return DemoBooksSchema.parse(JSON.parse(await readFile(file, 'utf8'))).map((b) => ({
    id: b.id,
    ...(b.category === undefined ? {} : { category: b.category }),
    ...(b.author === undefined ? {} : { author: b.author }),
  }));
}

/** One line on what the seed did. */
export function describeSeed(outcome: DemoSeedOutcome | null): string {
  if (outcome === null) return 'no demo seed was asked for.';
  switch (outcome.kind) {
    case 'seeded': {
      const s = outcome.summary;
      return `seeded the demo's shared model from ${s.visitors} simulated visitors through DAP in ${s.seconds.toFixed(0)} s: ${s.reports} reports accepted${s.failed > 0 ? ` (${s.failed} failed)` : ''}, ε = ${s.epsilon.toFixed(2)} per simulated visitor at δ = ${s.delta.toExponential(0)}, ${s.pairs} book pairs released over ${s.items} books; served as cooccurrence.served version ${s.servedVersion} (promoted with the operator's override: '${DEMO_SEED_REASON}').`;
    }
    case 'already':
      return `the demo's shared model was seeded before (${outcome.note.visitors} simulated visitors, ε = ${outcome.note.epsilon.toFixed(2)} each) and is still served: not seeding again (a new --db seeds afresh).`;
    case 'skipped':
      return `no demo seed: ${outcome.reason}.`;
    case 'aborted':
      return 'the demo seed stopped (the server is closing).';
    default: {
      const never: never = outcome;
      return String(never);
    }
  }
}

const HELP = `usage: hearth start [--port 8080] [--helper-port 8081] [--host 127.0.0.1]
  [--db .hearth/server.db] [--helper-db .hearth/helper.db] [--rebuild]
  [--no-seed] [--seed-visitors 300]
Builds the demo when dist/ is missing or older than the sources (--rebuild: always), serves it
with the thin server's /v1 API as the DAP leader on --port and the DAP helper on --helper-port
(default: the next port), and prints the URL. The thin server's catalog follows
dist/demo-catalog.json (public/demo-catalog.json at build time); the demo's secure-aggregation
tasks (item popularity, ranker update) are published at start.
Once listening, it seeds the demo's shared item-item model in the background: --seed-visitors
simulated visitors (labelled as simulated on the page) make real DAP reports to both aggregators,
which are collected and the model promoted ("Visitors who liked X also liked this"). A database
whose served model a seed promoted is not seeded again. --no-seed, or HEARTH_DEMO_SEED=0 in the
environment, skips it.`;

/** A port option, or `fallback` when it is not given. */
function portOption(name: string, raw: string | undefined, fallback: number): number {
  const port = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--${name} must be a port number, got '${raw}'.`);
  }
  return port;
}

/**
 * The seed `hearth start` runs: `DEMO_SEED` with `--seed-visitors`, or none with `--no-seed` or
 * `HEARTH_DEMO_SEED=0` in `env`.
 */
export function seedOption(
  values: { readonly 'no-seed'?: boolean; readonly 'seed-visitors'?: string },
  env: Readonly<Record<string, string | undefined>>,
): DemoSeedConfig | undefined {
  const raw = values['seed-visitors'];
  const visitors = raw === undefined ? DEMO_SEED.visitors : Number(raw);
  if (!Number.isInteger(visitors) || visitors < 2 || visitors > 100_000)
    throw new CliUsageError(
      `--seed-visitors must be a whole number from 2 to 100000, got '${raw}'.`,
    );
  if (values['no-seed'] === true || env.HEARTH_DEMO_SEED === '0') return undefined;
  return { ...DEMO_SEED, visitors };
}

/** `hearth start`: builds when needed, serves, prints the URL; resolves with 0 on SIGINT/SIGTERM. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      'helper-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: DEFAULT_DB },
      'helper-db': { type: 'string', default: DEFAULT_HELPER_DB },
      rebuild: { type: 'boolean', default: false },
      'no-seed': { type: 'boolean', default: false },
      'seed-visitors': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = portOption('port', values.port, 8080);
  const helperPort = portOption('helper-port', values['helper-port'], port === 0 ? 0 : port + 1);
  const seed = seedOption(values, process.env);
  if (values.rebuild || needsBuild()) {
    process.stderr.write('hearth start: building the demo (vite build)…\n');
    await buildDemo();
  }
  const demo = await startDemo({
    port,
    helperPort,
    host: values.host,
    db: values.db,
    helperDb: values['helper-db'],
    ...(seed === undefined ? {} : { seed }),
  });
  process.stdout.write(`Hearth demo: ${demo.url} (DAP helper: ${demo.helperUrl})\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => void demo.close().then(() => resolveStop());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
