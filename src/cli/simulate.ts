/**
 * `hearth simulate --data DIR --epsilon E [--mode ldp|dap] [--rounds R] [--clients-per-round K]
 * [--clip C] [--telemetry-epsilon E] [--ranker-share F] [--seed S] [--json] [--http]
 * [--no-telemetry] [--no-federated] [--no-ranker] [--population N] [--dap-max-items L]
 * [--dap-items N] [--dap-popularity-share F] [--dap-ranker-rounds R] [--threads T]`.
 */
import { parseArgs } from 'node:util';
import { createEncoder } from '../encoder/index.ts';
import { loadMovieLens } from '../eval/movielens.ts';
import { defaultReportThreads } from '../sim/dap-report-pool.ts';
import { DEFAULT_DAP_SIM } from '../sim/sim-dap.ts';
import { startDapDeployment } from '../sim/sim-dap-deployment.ts';
import { DEFAULT_RANKER_ROUNDS, DEFAULT_SIMULATION, runSimulation } from '../sim/simulation.ts';
import { CliUsageError } from './errors.ts';

const HELP = `usage: hearth simulate --data DIR --epsilon E|inf [options]
  --data DIR               MovieLens-format folder; every user becomes a client
  --epsilon E|inf          total ε per client over the whole simulation (LDP: δ = 1/(10·clients);
                           DAP: δ = 1e-6, the client ledger's)
  --mode ldp|dap           ldp (default): federated rounds + OLH telemetry to one server;
                           dap: secure-aggregation reports to a leader and a helper
  --http                   go through real servers on loopback instead of in process
  --json                   one JSON object with federated, central, telemetry and dap
  --seed S                 seed of every seeded step (default 1)
  --no-ranker              skip the ranker and the whole-engine evaluation
secure aggregation (--mode dap):
  --population N           N visitors drawn with replacement from the users (a resampled
                           population, each a distinct client with its own report); default:
                           every user once
  --dap-max-items L        a visitor's last L distinct items in the popularity histogram (default ${DEFAULT_DAP_SIM.maxItems})
  --dap-items N            count only the catalog's first N items (default: all)
  --dap-popularity-share F share of each visitor's ρ for the popularity task, the rest for the
                           ranker (default ${DEFAULT_DAP_SIM.popularityShare}; 1 with --no-ranker)
  --dap-ranker-rounds R    ranker-update tasks in turn, every visitor reporting to each (default ${DEFAULT_DAP_SIM.rankerRounds})
  --threads T              threads making the visitors' reports (default: cores − 1, at least 1)
  --dap-noise-draws K      also score K further draws of both aggregators' noise over the same
                           reports' exact sum (the mechanism alone), for the figure's spread
federated rounds and LDP (--mode ldp):
  --rounds R               collab rounds (default: central training's step count)
  --clients-per-round K    collab cohort size (default ${DEFAULT_SIMULATION.clientsPerRound})
  --clip C                 collab clip norm (default ${DEFAULT_SIMULATION.clipNorm})
  --ranker-share F         fraction of each client's budget spent on ranker updates (default ${DEFAULT_RANKER_ROUNDS.budgetShare})
  --telemetry-epsilon E    ε per LDP telemetry report (default ${DEFAULT_SIMULATION.telemetryEpsilon})
  --encoding q8|f32        update payload encoding (default q8)
  --no-telemetry           skip LDP telemetry
  --no-federated           telemetry only`;

function positive(
  name: string,
  raw: string | undefined,
  fallback: number,
  integer = false,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new CliUsageError(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${raw}'.\n${HELP}`,
    );
  }
  return v;
}

/** Runs the simulation and prints the report. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      epsilon: { type: 'string' },
      rounds: { type: 'string' },
      'clients-per-round': { type: 'string' },
      clip: { type: 'string' },
      'telemetry-epsilon': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      'no-telemetry': { type: 'boolean', default: false },
      'no-federated': { type: 'boolean', default: false },
      'no-ranker': { type: 'boolean', default: false },
      'ranker-share': { type: 'string' },
      encoding: { type: 'string', default: 'q8' },
      mode: { type: 'string', default: 'ldp' },
      population: { type: 'string' },
      'dap-max-items': { type: 'string' },
      'dap-items': { type: 'string' },
      'dap-popularity-share': { type: 'string' },
      'dap-ranker-rounds': { type: 'string' },
      threads: { type: 'string' },
      'dap-noise-draws': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.data === undefined) throw new CliUsageError(`--data is required.\n${HELP}`);
  if (values.epsilon === undefined)
    throw new CliUsageError(`--epsilon is required (a number, or inf for no noise).\n${HELP}`);
  const epsilon =
    values.epsilon === 'inf' ? Number.POSITIVE_INFINITY : positive('epsilon', values.epsilon, 1);
  if (values.encoding !== 'q8' && values.encoding !== 'f32') {
    throw new CliUsageError(`--encoding must be q8 or f32, got '${values.encoding}'.\n${HELP}`);
  }
  const rankerShare = positive(
    'ranker-share',
    values['ranker-share'],
    DEFAULT_RANKER_ROUNDS.budgetShare,
  );
  if (rankerShare >= 1)
    throw new CliUsageError(
      `--ranker-share must be below 1, got '${values['ranker-share']}'.\n${HELP}`,
    );
  if (values.mode !== 'ldp' && values.mode !== 'dap') {
    throw new CliUsageError(`--mode must be ldp or dap, got '${values.mode}'.\n${HELP}`);
  }
  const popularityShare = positive(
    'dap-popularity-share',
    values['dap-popularity-share'],
    DEFAULT_DAP_SIM.popularityShare,
  );
  if (popularityShare > 1)
    throw new CliUsageError(
      `--dap-popularity-share must be at most 1, got '${values['dap-popularity-share']}'.\n${HELP}`,
    );
  const threads =
    values.threads === '0' ? 0 : positive('threads', values.threads, defaultReportThreads(), true);
  const population =
    values.population === undefined
      ? undefined
      : positive('population', values.population, 1, true);
  const items =
    values['dap-items'] === undefined
      ? undefined
      : positive('dap-items', values['dap-items'], 1, true);
  const data = loadMovieLens(values.data);
  const withRanker = !values['no-ranker'] && !values['no-federated'];
  const encoder = withRanker ? await createEncoder() : undefined;
  const report = await runSimulation(data, {
    epsilon,
    rounds: values.rounds === undefined ? undefined : positive('rounds', values.rounds, 1, true),
    clientsPerRound: positive(
      'clients-per-round',
      values['clients-per-round'],
      DEFAULT_SIMULATION.clientsPerRound,
      true,
    ),
    clipNorm: positive('clip', values.clip, DEFAULT_SIMULATION.clipNorm),
    telemetryEpsilon: positive(
      'telemetry-epsilon',
      values['telemetry-epsilon'],
      DEFAULT_SIMULATION.telemetryEpsilon,
    ),
    seed: positive('seed', values.seed, DEFAULT_SIMULATION.seed, true),
    http: values.http,
    skipTelemetry: values['no-telemetry'],
    skipFederated: values['no-federated'],
    encoding: values.encoding,
    ...(encoder === undefined ? {} : { encoder }),
    ranker: { ...DEFAULT_RANKER_ROUNDS, budgetShare: rankerShare },
    mode: values.mode,
    dap: {
      popularityShare,
      maxItems: positive('dap-max-items', values['dap-max-items'], DEFAULT_DAP_SIM.maxItems, true),
      rankerRounds: positive(
        'dap-ranker-rounds',
        values['dap-ranker-rounds'],
        DEFAULT_DAP_SIM.rankerRounds,
        true,
      ),
      threads,
      ...(population === undefined ? {} : { population }),
      ...(items === undefined ? {} : { items }),
      ...(values['dap-noise-draws'] === undefined
        ? {}
        : { noiseDraws: positive('dap-noise-draws', values['dap-noise-draws'], 1, true) }),
      start: (http) => startDapDeployment({ http }),
    },
    log: (m) => process.stderr.write(`[simulate] ${m}\n`),
  });
  await encoder?.dispose();
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}
