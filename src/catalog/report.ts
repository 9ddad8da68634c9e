/**
 * The catalog report a site owner reads: how many items were loaded and, for the first problems,
 * where, which id and why. One set of rules (`parse.ts`) and one report for every side: the
 * widget's `hearth:catalog` event and console summary, the thin server's `PUT /v1/admin/catalog`
 * answer and `hearth catalog check`. Pure, and light enough for the page: it imports no parser.
 */
import type { ParseReport } from './catalog.api.ts';
import { formatLocation } from './location.ts';
import type { CatalogParseResult } from './parse.ts';

/** Rejections, duplicates and warnings listed in a parse report (counts are always complete). */
export const MAX_REPORTED = 100;

/** Problems a catalog report lists by default (errors first). */
export const REPORT_PROBLEMS = 10;

/** One problem of one item, as a site owner reads it. */
export interface CatalogProblem {
  /** `error`: the item (or a copy of it) is not shown; `warning`: shown, but a field was changed. */
  readonly severity: 'error' | 'warning';
  /** Where in the file: `line 7` (JSON Lines, CSV) or `item 3` (0-based, JSON arrays). */
  readonly at: string;
  readonly id: string | null;
  /** One line: where, what is wrong and what was done about it. */
  readonly message: string;
}

/** Counts and the first problems of one catalog; the same on every side. */
export interface CatalogReport {
  /** Item records read (accepted + rejected + duplicates). */
  readonly read: number;
  readonly accepted: number;
  /** Items skipped for an invalid field (e.g. no title). */
  readonly rejected: number;
  /** Records whose id an item further down repeats (that later one is kept). */
  readonly duplicates: number;
  /** Accepted items with a field cut or dropped. */
  readonly warnings: number;
  /** The first problems, errors first (at most `REPORT_PROBLEMS` unless asked otherwise). */
  readonly problems: readonly CatalogProblem[];
}

/** Summarises a parse for a sync or load result (lists capped at `MAX_REPORTED`). */
export function parseReport(parsed: CatalogParseResult): ParseReport {
  return {
    accepted: parsed.items.length,
    rejected: parsed.rejections.length,
    duplicated: parsed.duplicates.length,
    warned: parsed.warnings.length,
    rejections: parsed.rejections.slice(0, MAX_REPORTED),
    duplicates: parsed.duplicates.slice(0, MAX_REPORTED),
    warnings: parsed.warnings.slice(0, MAX_REPORTED),
  };
}

/** The site owner's report of a parse (`max` problems listed, errors first). */
export function catalogReport(parsed: ParseReport, max = REPORT_PROBLEMS): CatalogReport {
  const errors: CatalogProblem[] = [
    ...parsed.rejections.map(
      (r): CatalogProblem => ({
        severity: 'error',
        at: formatLocation(r.at),
        id: r.id,
        message: `${r.message} — item skipped`,
      }),
    ),
    ...parsed.duplicates.map(
      (d): CatalogProblem => ({
        severity: 'error',
        at: formatLocation(d.dropped),
        id: d.id,
        message: `${formatLocation(d.dropped)} (id ${quote(d.id)}): duplicate id, ${formatLocation(d.kept)} has it too — the later one is kept, this one skipped`,
      }),
    ),
  ];
  const warnings = parsed.warnings.map(
    (w): CatalogProblem => ({
      severity: 'warning',
      at: formatLocation(w.at),
      id: w.id,
      message: `${formatLocation(w.at)} (id ${quote(w.id)}): ${w.field}: ${w.problem}`,
    }),
  );
  return {
    read: parsed.accepted + parsed.rejected + parsed.duplicated,
    accepted: parsed.accepted,
    rejected: parsed.rejected,
    duplicates: parsed.duplicated,
    warnings: parsed.warned,
    problems: [...errors, ...warnings].slice(0, Math.max(0, max)),
  };
}

/** True when the report has an error (a rejected item or a duplicate id), not only warnings. */
export function hasCatalogErrors(report: CatalogReport): boolean {
  return report.rejected > 0 || report.duplicates > 0;
}

/** One line of counts: `18 of 20 items loaded: 1 rejected, 1 duplicate id.` */
export function catalogSummary(report: CatalogReport): string {
  const parts: string[] = [];
  if (report.rejected > 0) parts.push(`${report.rejected} rejected`);
  if (report.duplicates > 0)
    parts.push(`${report.duplicates} duplicate id${report.duplicates === 1 ? '' : 's'}`);
  if (report.warnings > 0)
    parts.push(`${report.warnings} warning${report.warnings === 1 ? '' : 's'}`);
  const head = `${report.accepted} of ${report.read} item${report.read === 1 ? '' : 's'} loaded`;
  return parts.length === 0 ? `${head}.` : `${head}: ${parts.join(', ')}.`;
}

/** The report as lines: the summary, then one line per listed problem, then how many more. */
export function catalogReportLines(report: CatalogReport): string[] {
  const lines = [
    catalogSummary(report),
    ...report.problems.map((p) => `  ${p.severity}: ${p.message}`),
  ];
  const more = report.rejected + report.duplicates + report.warnings - report.problems.length;
  if (more > 0) lines.push(`  … and ${more} more.`);
  return lines;
}

function quote(id: string): string {
  return JSON.stringify(id.slice(0, 80));
}
