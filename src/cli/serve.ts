/**
 * `hearth serve [--role leader|helper] --port P --db FILE [...]`: runs the thin server, or one of
 * the two DAP aggregators. Without `--role`: the single thin server (the LDP fallback). With
 * `--role leader`: the thin server plus the DAP leader (DAP endpoints under /dap/, task routes
 * under /v1), which sends aggregation jobs to the helper at `--helper URL`. With `--role helper`:
 * only the DAP helper. Each role has its own database and HPKE key (generated on first start);
 * Prio3 preparation runs in a worker thread. Secrets come from the environment: HEARTH_ADMIN_TOKEN
 * (admin endpoints; unset → 401) and, for both aggregators, HEARTH_PEER_TOKEN (the bearer token
 * between them, the same value on both). Tokens shorter than 32 characters are refused.
 */
import { parseArgs } from 'node:util';
import type { Hono } from 'hono';
import { buildApp, DEFAULT_QUOTAS } from '../server/app.ts';
import { DEFAULT_JOB_SIZE } from '../server/dap/aggregation-driver.ts';
import { createHelperApp } from '../server/dap/helper.ts';
import { DEFAULT_REPORTS_PER_ADDRESS } from '../server/dap/leader.ts';
import type { PrepEngine } from '../server/dap/prep-core.ts';
import { createPrepWorker } from '../server/dap/prep-engine.ts';
import { openDapStorage } from '../server/dap/storage.ts';
import { AdminTokenError, checkAdminToken } from '../server/middleware/require-admin.ts';
import { openServerStorage } from '../server/storage.ts';
import { fedAdam, fedAvg } from '../server/strategy.ts';
import { CliUsageError } from './errors.ts';
import { checkDbPath, listen } from './listen.ts';

const HELP = `usage: hearth serve [--role leader|helper] [--port 8787] [--host 127.0.0.1]
  [--db .hearth/server.db] [--cors https://shop.example,https://other.example]
  [--telemetry-epsilon 2] [--strategy fedavg|fedadam] [--server-lr LR] [--rate 200] [--burst 400]
  [--trust-proxy] [--updates-per-address 2] [--reports-per-address 100] [--retention-days 30]
  leader only: --helper URL [--dap-reports-per-address ${DEFAULT_REPORTS_PER_ADDRESS}] [--dap-job-size ${DEFAULT_JOB_SIZE}]
Without --role: the single thin server (local DP). --role leader: the thin server plus the DAP
leader, sending aggregation jobs to the helper's DAP base URL (e.g. http://127.0.0.1:8788/dap/).
--role helper: the DAP helper only (default database .hearth/helper.db).
Rates, burst and quotas count per client address (the socket's peer; with --trust-proxy, the last
X-Forwarded-For entry: use it only behind a reverse proxy that sets that header).
Admin endpoints need HEARTH_ADMIN_TOKEN (at least 32 characters) in the environment; both
aggregators need the same HEARTH_PEER_TOKEN (at least 32 characters).`;

function numberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliUsageError(`--${name} must be a positive number, got '${raw}'.\n${HELP}`);
  return value;
}

function tokenFromEnv(variable: string, required: boolean): string | undefined {
  const token = process.env[variable];
  if (token === undefined) {
    if (required)
      throw new CliUsageError(
        `${variable} is not set; both aggregators need the same secret, e.g. ${variable}=$(openssl rand -base64 32).`,
      );
    return undefined;
  }
  try {
    checkAdminToken(token, variable);
  } catch (error) {
    if (error instanceof AdminTokenError) throw new CliUsageError(error.message);
    throw error;
  }
  return token;
}

function onError(error: unknown): void {
  process.stderr.write(
    `hearth serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
}

/** Starts the server; resolves with 0 when it is stopped by SIGINT/SIGTERM. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string' },
      cors: { type: 'string' },
      'telemetry-epsilon': { type: 'string' },
      strategy: { type: 'string', default: 'fedavg' },
      'server-lr': { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      'trust-proxy': { type: 'boolean', default: false },
      'updates-per-address': { type: 'string' },
      'reports-per-address': { type: 'string' },
      'retention-days': { type: 'string' },
      helper: { type: 'string' },
      'dap-reports-per-address': { type: 'string' },
      'dap-job-size': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const role = values.role;
  if (role !== undefined && role !== 'leader' && role !== 'helper')
    throw new CliUsageError(`--role must be leader or helper, got '${role}'.\n${HELP}`);
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(
      `--port must be an integer 0-65535 (0 picks a free port), got '${values.port}'.\n${HELP}`,
    );
  }
  if (values.strategy !== 'fedavg' && values.strategy !== 'fedadam') {
    throw new CliUsageError(`--strategy must be fedavg or fedadam, got '${values.strategy}'.`);
  }
  if (role === 'leader' && values.helper === undefined)
    throw new CliUsageError(
      `--role leader needs --helper URL, the helper's DAP base (e.g. http://127.0.0.1:8788/dap/).\n${HELP}`,
    );
  if (role !== 'leader' && values.helper !== undefined)
    throw new CliUsageError('--helper is an option of --role leader only.');
  const adminToken = tokenFromEnv('HEARTH_ADMIN_TOKEN', false);
  const peerToken = role === undefined ? undefined : tokenFromEnv('HEARTH_PEER_TOKEN', true);
  const defaultDb = role === 'helper' ? '.hearth/helper.db' : '.hearth/server.db';
  const db = values.db ?? defaultDb;
  checkDbPath(db, defaultDb);
  const corsOrigins =
    values.cors
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '') ?? [];

  let app: Hono;
  let engine: PrepEngine | null = null;
  const closers: (() => void)[] = [];
  if (role === 'helper') {
    const storage = openDapStorage(db);
    engine = createPrepWorker();
    app = createHelperApp({
      storage,
      engine,
      peerToken: peerToken ?? '',
      adminToken,
      corsOrigins,
      onError,
    });
    closers.push(() => storage.close());
  } else {
    const storage = openServerStorage(db);
    const serverLr =
      values['server-lr'] === undefined
        ? undefined
        : numberOption('server-lr', values['server-lr'], 1);
    const strategy =
      values.strategy === 'fedadam'
        ? fedAdam({ learningRate: serverLr ?? 0.01 })
        : fedAvg({ serverLearningRate: serverLr ?? 1 });
    if (role === 'leader') engine = createPrepWorker();
    const built = buildApp({
      storage,
      strategy,
      adminToken,
      corsOrigins,
      telemetryEpsilon: numberOption('telemetry-epsilon', values['telemetry-epsilon'], 2),
      rateLimit: {
        perSecond: numberOption('rate', values.rate, 200),
        burst: numberOption('burst', values.burst, 400),
      },
      trustProxy: values['trust-proxy'],
      quotas: {
        updatesPerRound: numberOption(
          'updates-per-address',
          values['updates-per-address'],
          DEFAULT_QUOTAS.updatesPerRound,
        ),
        reportsPerDay: numberOption(
          'reports-per-address',
          values['reports-per-address'],
          DEFAULT_QUOTAS.reportsPerDay,
        ),
      },
      telemetry: { retentionDays: numberOption('retention-days', values['retention-days'], 30) },
      onError,
      dap:
        engine === null
          ? undefined
          : {
              engine,
              helperUrl: values.helper ?? '',
              peerToken: peerToken ?? '',
              reportsPerAddress: numberOption(
                'dap-reports-per-address',
                values['dap-reports-per-address'],
                DEFAULT_REPORTS_PER_ADDRESS,
              ),
              jobSize: numberOption('dap-job-size', values['dap-job-size'], DEFAULT_JOB_SIZE),
            },
    });
    app = built.app;
    closers.push(
      () => built.dap?.close(),
      () => storage.close(),
    );
  }

  const label = role === undefined ? 'hearth serve' : `hearth serve (${role})`;
  const { server, port: bound } = await listen(app.fetch, port, values.host).catch(
    async (error: unknown) => {
      for (const close of closers) close();
      await engine?.close();
      throw error; // main prints it as one line (a busy port names --port)
    },
  );
  process.stdout.write(`${label}: listening on http://${values.host}:${bound} (db ${db})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => {
        for (const close of closers) close();
        void (engine?.close() ?? Promise.resolve()).then(resolve);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
