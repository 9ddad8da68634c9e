/** `hearth eval --data DIR [--json] [--cold-items 0.1]`: offline evaluation on MovieLens. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { createEncoder } from '../encoder/index.ts';
import type { Encoder } from '../encoder/types.ts';
import { linearRanker, type Ranker } from '../engine/ranker.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../engine/user-state.ts';
import { loadMovieLens } from '../eval/movielens.ts';
import { fitRanker } from '../eval/ranker-fit.ts';
import { type EvalReport, evaluate } from '../eval/run-eval.ts';
import { DEFAULT_COLLAB_TRAIN_OPTIONS } from '../models/collab-train.ts';
import { loadRanker } from '../models/ranker-onnx.ts';
import { DEFAULT_RANKER_TRAIN_OPTIONS } from '../models/ranker-train.ts';
import { CliUsageError } from './errors.ts';

const USAGE = `usage: hearth eval --data DIR [--json] [--cold-items FRACTION] [--epochs N] [--seed N]
  --data DIR          MovieLens-format folder (ratings.csv, movies.csv, optional tags.csv)
  --json              print the report as JSON on stdout
  --cold-items F      remove a fraction F (0-1) of items from all training data; report HR@10 on them
  --epochs N          collab model training epochs (default ${DEFAULT_COLLAB_TRAIN_OPTIONS.epochs})
  --seed N            seed of every random step (default 1)
  --ranker DIR        ranker folder (default models/ranker)
  --fit-ranker        fit the ranker's weights on this dataset's validation split (each user's
                      second-to-last item; test items unseen) instead of loading --ranker`;

/** Runs the evaluation; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
      'cold-items': { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string', default: '1' },
      ranker: { type: 'string', default: 'models/ranker' },
      'fit-ranker': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.data === undefined) throw new CliUsageError(`--data DIR is required.\n${USAGE}`);
  if (!existsSync(values.data)) throw new CliUsageError(`--data ${values.data}: no such folder.`);
  const cold = values['cold-items'] === undefined ? undefined : Number(values['cold-items']);
  if (cold !== undefined && !(cold > 0 && cold < 1)) {
    throw new CliUsageError(
      `--cold-items must be a fraction between 0 and 1, got '${values['cold-items']}'.`,
    );
  }
  const epochs =
    values.epochs === undefined ? DEFAULT_COLLAB_TRAIN_OPTIONS.epochs : Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new CliUsageError(`--epochs must be a positive integer.`);
  const seed = Number(values.seed);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const quietLog = values.json ? () => {} : log;
  // A missing committed ranker is reported before the slow steps.
  const committed = values['fit-ranker'] ? null : await committedRanker(values.ranker);
  const encoder = await loadEncoder();
  const data = loadMovieLens(values.data);
  const ranker: Ranker = committed ?? (await fittedRanker(encoder, data, seed, epochs, quietLog));
  const report = await evaluate(data, {
    encoder,
    ranker,
    collab: { ...DEFAULT_COLLAB_TRAIN_OPTIONS, epochs },
    userState: DEFAULT_USER_STATE_CONFIG,
    ...(cold !== undefined ? { coldItems: cold } : {}),
    seed,
    log: quietLog,
  });
  await encoder.dispose();
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return 0;
}

async function committedRanker(dir: string): Promise<Ranker> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new CliUsageError(
      `${manifestPath} not found: run npm run train:ranker -- --data DIR first, or pass --fit-ranker.`,
    );
  }
  const manifestJson = readFileSync(manifestPath, 'utf8');
  // One WASM thread: the evaluation is single-threaded, and ORT's worker threads would keep Node alive.
  ort.env.wasm.numThreads = 1;
  const onnxName = (JSON.parse(manifestJson) as { onnx: string }).onnx;
  return loadRanker(manifestJson, readFileSync(join(dir, onnxName)));
}

/** The linear ranker fitted on the dataset's validation split (same scores as its ONNX graph). */
async function fittedRanker(
  encoder: Encoder,
  data: ReturnType<typeof loadMovieLens>,
  seed: number,
  epochs: number,
  log: (m: string) => void,
): Promise<Ranker> {
  const fit = await fitRanker(data, {
    encoder,
    collab: { ...DEFAULT_COLLAB_TRAIN_OPTIONS, epochs },
    userState: DEFAULT_USER_STATE_CONFIG,
    ranker: DEFAULT_RANKER_TRAIN_OPTIONS,
    seed,
    log,
  });
  return linearRanker('fitted-on-validation', fit.weights, 0);
}

async function loadEncoder(): Promise<Encoder> {
  return createEncoder();
}

function formatReport(report: EvalReport): string {
  const f = (v: number) => (Number.isNaN(v) ? '   n/a' : v.toFixed(4));
  const lines = [
    `${report.dataset.users} users, ${report.dataset.items} items, ${report.dataset.interactions} interactions`,
    'method          HR@10   NDCG@10 coverage novelty  ILD',
    ...Object.entries(report.methods).map(
      ([name, m]) =>
        `${name.padEnd(15)} ${f(m['hr@10'])}  ${f(m['ndcg@10'])}  ${f(m.coverage)}  ${m.novelty.toFixed(2)}  ${f(m.ild)}`,
    ),
  ];
  if (report.cold_items) {
    const c = report.cold_items;
    lines.push(`cold items (${c.items} items held out of training, ${c.cases} test cases):`);
    for (const [name, m] of Object.entries(c.methods))
      lines.push(`  ${name.padEnd(12)} HR@10 ${f(m['hr@10'])}`);
  }
  return `${lines.join('\n')}\n`;
}
