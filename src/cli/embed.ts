import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createEncoder } from '../encoder/index.ts';

const HELP = `usage: hearth embed [--model NAME_OR_DIR] [--batch N] [--precision DIGITS]

Reads UTF-8 lines on stdin and prints, for each line and in order, one JSON array: the
L2-normalised embedding. A line with no known word prints a zero vector; a summary of such
lines and of truncated lines goes to stderr.`;

/** Formats a vector as a JSON array with a fixed number of decimals. */
export function vectorToJson(vector: Float32Array, digits: number): string {
  const parts = new Array<string>(vector.length);
  for (let i = 0; i < vector.length; i++) parts[i] = String(Number(vector[i]!.toFixed(digits)));
  return `[${parts.join(',')}]`;
}

/** `hearth embed`: stdin lines → one JSON array per line on stdout. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      batch: { type: 'string', default: '256' },
      precision: { type: 'string', default: '6' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const batchSize = Number.parseInt(values.batch, 10);
  const digits = Number.parseInt(values.precision, 10);
  if (!(batchSize > 0))
    throw new Error(`--batch must be a positive integer, got '${values.batch}'`);
  if (!(digits >= 0 && digits <= 9))
    throw new Error(`--precision must be 0–9, got '${values.precision}'`);

  const encoder = await createEncoder({ model: values.model });
  let pending: string[] = [];
  let lineNo = 0;
  const empty: number[] = [];
  const truncated: number[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const first = lineNo - pending.length + 1;
    const result = await encoder.embedDetailed(pending);
    const out = result.vectors.map((v) => vectorToJson(v, digits)).join('\n');
    for (let i = 0; i < pending.length; i++) {
      if (result.empty[i]) empty.push(first + i);
      if (result.truncated[i]) truncated.push(first + i);
    }
    pending = [];
    if (!process.stdout.write(`${out}\n`))
      await new Promise((r) => process.stdout.once('drain', r));
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lineNo++;
    pending.push(line);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  await encoder.dispose();
  const list = (xs: number[]) =>
    xs.length > 10 ? `${xs.slice(0, 10).join(', ')}, …` : xs.join(', ');
  if (empty.length > 0) {
    process.stderr.write(
      `hearth embed: ${empty.length} line(s) had no known word (zero vector): line ${list(empty)}\n`,
    );
  }
  if (truncated.length > 0) {
    process.stderr.write(
      `hearth embed: ${truncated.length} line(s) were cut to ${encoder.info.maxTokens} tokens: line ${list(truncated)}\n`,
    );
  }
  return 0;
}
