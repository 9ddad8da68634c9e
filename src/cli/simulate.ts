/**
 * `hearth simulate --data DIR --epsilon E [--mode ldp|dap] [--rounds R] [--clients-per-round K]
 * [--clip C] [--telemetry-epsilon E] [--ranker-share F] [--seed S] [--json] [--http]
 * [--no-telemetry] [--no-federated] [--no-ranker] [--population N] [--dap-transport T]
 * [--dap-max-items L] [--dap-items N] [--dap-evaluation-share F] [--dap-ranker-share F]
 * [--dap-ranker-rounds R] [--dap-evaluation-k K] [--ranker DIR] [--threads T]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEncoder } from '../encoder/index.ts';
import { linearRanker, type Ranker } from '../engine/ranker.ts';
import { loadMovieLens } from '../eval/movielens.ts';
import { parseRankerManifest } from '../models/ranker-manifest.ts';
import { DEFAULT_BUDGET_SHARES } from '../sim/dap-budget.ts';
import { defaultReportThreads } from '../sim/dap-report-pool.ts';
import { AUTO_AGGREGATORS_LIMIT_S } from '../sim/dap-transport.ts';
import { DEFAULT_DAP_SIM } from '../sim/sim-dap.ts';
import { startDapDeployment } from '../sim/sim-dap-deployment.ts';
import type { ReportSection, ReportValue } from '../sim/sim-eval.ts';
import { DEFAULT_RANKER_ROUNDS, DEFAULT_SIMULATION, runSimulation } from '../sim/simulation.ts';
import { CliUsageError } from './errors.ts';

const pct = (share: number) => `${Math.round(share * 100)}%`;

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
  each visitor's one ε is split (as zCDP ρ): the federated evaluation gets what detects a 1-point
  net win rate (at most ${pct(DEFAULT_DAP_SIM.evaluationShare)}), the ranker rounds what keeps the released count's
  noise within ±10% (at most ${pct(DEFAULT_DAP_SIM.rankerShare)}, else no rounds), the statistics the rest
  (histogram 30% / pair counts 70% when reports·√(ρ/2) ≥ 2000, else all to the histogram);
  with --no-ranker the histogram gets all
  --population N           N visitors drawn with replacement from the users (a resampled
                           population, each a distinct client with its own report); default:
                           every user once
  --dap-transport T        aggregators: real reports through leader + helper; sum: the same
                           encoders' exact sum + both aggregators' noise; auto (default):
                           aggregators for a task whose estimated CPU is ≤ ${AUTO_AGGREGATORS_LIMIT_S / 60} min, else sum
  --dap-max-items L        a visitor's last L distinct items in the popularity histogram (default ${DEFAULT_DAP_SIM.maxItems})
  --dap-items N            count only the catalog's first N items (default: all)
  --dap-evaluation-share F most of each visitor's ρ for the federated evaluation (default ${DEFAULT_DAP_SIM.evaluationShare})
  --dap-ranker-share F     most of each visitor's ρ for all ranker rounds (default ${DEFAULT_DAP_SIM.rankerShare})
  --dap-ranker-rounds R    ranker-update tasks in turn, every visitor reporting to each (default ${DEFAULT_DAP_SIM.rankerRounds},
                           run only when the released count's noise stays within ±10%; given,
                           they run at the share's cap anyway; 0: none)
  --dap-evaluation-k K     the evaluation compares the held-out item's gain within the top K (default ${DEFAULT_DAP_SIM.evaluationK})
  --ranker DIR             the shipped ranker devices start from (default models/ranker)
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
      'dap-transport': { type: 'string', default: DEFAULT_DAP_SIM.transport },
      'dap-evaluation-share': { type: 'string' },
      'dap-ranker-share': { type: 'string' },
      'dap-ranker-rounds': { type: 'string' },
      'dap-evaluation-k': { type: 'string' },
      ranker: { type: 'string', default: 'models/ranker' },
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
  const transport = values['dap-transport'];
  if (transport !== 'auto' && transport !== 'aggregators' && transport !== 'sum')
    throw new CliUsageError(
      `--dap-transport must be aggregators, sum or auto, got '${transport}'.\n${HELP}`,
    );
  const share = (name: string, fallback: number) => {
    const raw = values[name as 'dap-ranker-share'];
    const v = raw === undefined ? fallback : Number(raw);
    if (!(Number.isFinite(v) && v >= 0 && v < 1))
      throw new CliUsageError(`--${name} must be a number in [0, 1), got '${raw}'.\n${HELP}`);
    return v;
  };
  const evaluationShare = share('dap-evaluation-share', DEFAULT_DAP_SIM.evaluationShare);
  const rankerShareDap = share('dap-ranker-share', DEFAULT_DAP_SIM.rankerShare);
  if (evaluationShare + rankerShareDap >= 1)
    throw new CliUsageError(
      `--dap-evaluation-share and --dap-ranker-share add up to ${evaluationShare + rankerShareDap}: they must leave a share for the statistics.\n${HELP}`,
    );
  const rankerRounds =
    values['dap-ranker-rounds'] === '0'
      ? 0
      : positive(
          'dap-ranker-rounds',
          values['dap-ranker-rounds'],
          DEFAULT_DAP_SIM.rankerRounds,
          true,
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
      maxItems: positive('dap-max-items', values['dap-max-items'], DEFAULT_DAP_SIM.maxItems, true),
      shares: {
        ...DEFAULT_BUDGET_SHARES,
        evaluationShare,
        rankerShare: rankerShareDap,
        rankerRounds,
        forceRankerRounds: values['dap-ranker-rounds'] !== undefined,
      },
      transport,
      evaluationK: positive(
        'dap-evaluation-k',
        values['dap-evaluation-k'],
        DEFAULT_DAP_SIM.evaluationK,
        true,
      ),
      ...(encoder !== undefined && values.mode === 'dap'
        ? { shippedRanker: shippedRanker(values.ranker) }
        : {}),
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
  else {
    if (report.dap !== null) process.stdout.write(dapSummary(report.dap));
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return 0;
}

/** The ranker every device ships with, as a linear ranker (the same scores as its ONNX graph). */
function shippedRanker(dir: string): Ranker {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path))
    throw new CliUsageError(
      `${path} not found: pass --ranker DIR with the shipped ranker, or run npm run train:ranker -- --data DIR.`,
    );
  const manifest = parseRankerManifest(JSON.parse(readFileSync(path, 'utf8')), path);
  return linearRanker(manifest.version, manifest.weights, manifest.bias);
}

/** A field of a nested report value (undefined when absent). */
function at(value: ReportValue | undefined, ...keys: string[]): ReportValue | undefined {
  let v = value;
  for (const key of keys) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as ReportSection)[key];
  }
  return v;
}

/** The DAP figures in a few lines (the JSON follows). */
function dapSummary(dap: ReportSection): string {
  const num = (v: ReportValue | undefined, digits = 4) =>
    typeof v === 'number' ? v.toFixed(digits) : String(v);
  const lines = [
    `dap: ${String(dap.populationNote)}`,
    `dap: ε per visitor ${num(dap.epsilon_per_visitor, 3)} (δ ${String(dap.delta)}); DAP popularity NDCG@10 ${num(dap.popularity_ndcg_ratio, 3)} of true popularity's`,
  ];
  const tasks = at(dap, 'transport', 'tasks');
  for (const name of typeof tasks === 'object' && tasks !== null ? Object.keys(tasks) : [])
    lines.push(
      `dap: task '${name}' through ${String(at(tasks, name, 'transport'))}: ${String(at(tasks, name, 'reason'))}`,
    );
  if (dap.private !== null && dap.private !== undefined) {
    const p = dap.private;
    lines.push(
      `dap: NDCG@10 central ${num(at(p, 'central', 'ndcg10'))}, private floor ${num(at(p, 'privateFloor', 'ndcg10'))}, private engine ${num(at(p, 'privateEngine', 'ndcg10'))} (${num(at(p, 'privateEngineShareOfCentral'), 3)} of central)`,
      `dap: federated evaluation: ${String(at(p, 'gate', 'reason'))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
