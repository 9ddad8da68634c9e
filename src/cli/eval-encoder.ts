import { parseArgs } from 'node:util';
import { createEncoder } from '../encoder/index.ts';
import { evaluateSts, readStsb } from '../eval/stsb.ts';
import { CliUsageError } from './errors.ts';

const HELP = `usage: hearth eval-encoder --stsb FILE [--model NAME_OR_DIR] [--json]

Prints the Spearman correlation between the encoder's cosine similarities and the STS-B gold
scores of FILE (tab separated: genre, file, year, id, score, sentence1, sentence2).`;

/** `hearth eval-encoder`: STS-B Spearman of an encoder. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stsb: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.stsb === undefined) throw new CliUsageError(`--stsb FILE is required.\n${HELP}`);
  const pairs = await readStsb(values.stsb);
  const encoder = await createEncoder({ model: values.model });
  const started = performance.now();
  const result = await evaluateSts(encoder, pairs);
  const seconds = (performance.now() - started) / 1000;
  await encoder.dispose();
  const report = {
    model: encoder.info.id,
    version: encoder.info.version,
    file: values.stsb,
    ...result,
    seconds: Number(seconds.toFixed(3)),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    process.stdout.write(
      `STS-B Spearman ${result.spearman.toFixed(4)} over ${result.pairs} pairs (${encoder.info.id} ${encoder.info.version}; ${result.emptySentences} sentences with no known word; ${seconds.toFixed(2)} s)\n`,
    );
  }
  return 0;
}
