/**
 * `hearth catalog check FILE [--json] [--max N]`: validates a catalog file (JSON, JSON Lines or
 * CSV) with the same rules as the browser and the thin server, prints the report, and exits 1
 * when an item would be skipped (a rejected item or a duplicate id) or the file is unreadable.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CatalogEmptyError, CatalogParseError } from '../catalog/errors.ts';
import { parseCatalogText } from '../catalog/parse.ts';
import {
  type CatalogReport,
  catalogReport,
  catalogReportLines,
  hasCatalogErrors,
  parseReport,
  REPORT_PROBLEMS,
} from '../catalog/report.ts';
import { CliUsageError } from './errors.ts';

const HELP = `usage: hearth catalog check FILE [--json] [--max N]
Checks a catalog (JSON array, { version, items }, JSON Lines or CSV) with the rules browsers and
the thin server apply: prints how many items load and the first N problems (default ${REPORT_PROBLEMS}),
each with its line or item, id and reason. Exit code 0: every item loads (warnings allowed);
1: an item would be skipped (rejected or a duplicate id) or the file is not a catalog.
--json prints the report as one JSON object.`;

/** `hearth catalog <subcommand>`; only `check` exists. */
export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      max: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [sub, file, ...extra] = positionals;
  if (sub !== 'check') {
    throw new CliUsageError(
      sub === undefined
        ? 'name a subcommand: hearth catalog check FILE.'
        : `unknown subcommand '${sub}': use hearth catalog check FILE.`,
    );
  }
  if (file === undefined) throw new CliUsageError('name the file: hearth catalog check FILE.');
  if (extra.length > 0) throw new CliUsageError(`one file at a time; got also '${extra[0]}'.`);
  const max = values.max === undefined ? REPORT_PROBLEMS : Number(values.max);
  if (!Number.isInteger(max) || max < 0)
    throw new CliUsageError(`--max must be a whole number ≥ 0, got '${values.max}'.`);
  const text = await readFile(file, 'utf8');
  let report: CatalogReport;
  try {
    report = catalogReport(parseReport(parseCatalogText(text)), max);
  } catch (error) {
    if (!(error instanceof CatalogParseError || error instanceof CatalogEmptyError)) throw error;
    // A file that is not a catalog at all: the one line says where and what to fix.
    if (values.json) process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
    process.stderr.write(`hearth catalog: ${file}: ${error.message}\n`);
    return 1;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${file}: ${catalogReportLines(report).join('\n')}\n`);
  return hasCatalogErrors(report) ? 1 : 0;
}
