/**
 * `hearth simulate --data DIR --epsilon E [--rounds R] [--clients-per-round K] [--clip C]
 * [--telemetry-epsilon E] [--seed S] [--json] [--http] [--no-telemetry] [--no-federated]`.
 */
import { parseArgs } from 'node:util';
import { loadMovieLens } from '../eval/movielens.ts';
import { DEFAULT_SIMULATION, runSimulation } from '../federated/simulation.ts';
import { CliUsageError } from './errors.ts';

const HELP = `usage: hearth simulate --data DIR --epsilon E|inf [--rounds R (default: central training's step count)]
  [--clients-per-round ${DEFAULT_SIMULATION.clientsPerRound}] [--clip ${DEFAULT_SIMULATION.clipNorm}]
  [--telemetry-epsilon ${DEFAULT_SIMULATION.telemetryEpsilon}] [--seed 1] [--encoding q8|f32] [--json] [--http] [--no-telemetry] [--no-federated]`;

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
      encoding: { type: 'string', default: 'q8' },
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
  const data = loadMovieLens(values.data);
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
    log: (m) => process.stderr.write(`[simulate] ${m}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}
