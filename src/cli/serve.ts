/**
 * `hearth serve --port P --db FILE [--host H] [--cors ORIGINS] [--telemetry-epsilon E]
 * [--strategy fedavg|fedadam] [--server-lr LR] [--rate R] [--burst B] [--trust-proxy]
 * [--updates-per-address N] [--reports-per-address N] [--retention-days D]`: runs the thin
 * server. The admin bearer token is read from HEARTH_ADMIN_TOKEN (admin endpoints answer 401 when
 * it is unset; a token shorter than 32 characters is refused at start-up).
 */
import { parseArgs } from 'node:util';
import { createApp, DEFAULT_QUOTAS } from '../server/app.ts';
import { AdminTokenError, checkAdminToken } from '../server/middleware/require-admin.ts';
import { openServerStorage } from '../server/storage.ts';
import { fedAdam, fedAvg } from '../server/strategy.ts';
import { CliUsageError } from './errors.ts';
import { checkDbPath, listen } from './listen.ts';

const DEFAULT_DB = '.hearth/server.db';

const HELP = `usage: hearth serve [--port 8787] [--host 127.0.0.1] [--db .hearth/server.db]
  [--cors https://shop.example,https://other.example] [--telemetry-epsilon 2]
  [--strategy fedavg|fedadam] [--server-lr LR] [--rate 200] [--burst 400]
  [--trust-proxy] [--updates-per-address 2] [--reports-per-address 100] [--retention-days 30]
Rates, burst and quotas count per client address (the socket's peer; with --trust-proxy, the last
X-Forwarded-For entry: use it only behind a reverse proxy that sets that header).
Admin endpoints need HEARTH_ADMIN_TOKEN (at least 32 characters) in the environment.`;

function numberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliUsageError(`--${name} must be a positive number, got '${raw}'.\n${HELP}`);
  return value;
}

/** Starts the server; resolves with 0 when it is stopped by SIGINT/SIGTERM. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: DEFAULT_DB },
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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(
      `--port must be an integer 0-65535 (0 picks a free port), got '${values.port}'.\n${HELP}`,
    );
  }
  if (values.strategy !== 'fedavg' && values.strategy !== 'fedadam') {
    throw new CliUsageError(`--strategy must be fedavg or fedadam, got '${values.strategy}'.`);
  }
  const adminToken = process.env.HEARTH_ADMIN_TOKEN;
  if (adminToken !== undefined) {
    try {
      checkAdminToken(adminToken, 'HEARTH_ADMIN_TOKEN');
    } catch (error) {
      if (error instanceof AdminTokenError) throw new CliUsageError(error.message);
      throw error;
    }
  }
  checkDbPath(values.db, DEFAULT_DB);
  const storage = openServerStorage(values.db);
  const serverLr =
    values['server-lr'] === undefined
      ? undefined
      : numberOption('server-lr', values['server-lr'], 1);
  const strategy =
    values.strategy === 'fedadam'
      ? fedAdam({ learningRate: serverLr ?? 0.01 })
      : fedAvg({ serverLearningRate: serverLr ?? 1 });
  const app = createApp({
    storage,
    strategy,
    adminToken,
    corsOrigins:
      values.cors
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '') ?? [],
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
    onError: (error) =>
      process.stderr.write(
        `hearth serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      ),
  });
  const { server, port: bound } = await listen(app.fetch, port, values.host).catch(
    (error: unknown) => {
      storage.close();
      throw error; // main prints it as one line (a busy port names --port)
    },
  );
  process.stdout.write(
    `hearth serve: listening on http://${values.host}:${bound} (db ${values.db})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => {
        storage.close();
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
