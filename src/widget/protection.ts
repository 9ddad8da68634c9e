/**
 * What the privacy panel says about how each release was protected (pure text, tested in Node):
 * LDP adds noise on the device and trusts no server; DAP secret-shares each report between two
 * aggregators that verify it and add noise to the aggregate, and trusts that at least one of the
 * two follows the protocol.
 */
import type {
  ContributionOutcome,
  LedgerRow,
  LedgerView,
  Protection,
} from '../worker/engine-worker.api.ts';

/** One line per protection, for a release's row. */
export const PROTECTION_TEXT: Readonly<Record<Protection, string>> = {
  ldp: 'LDP: local noise, trusts no server',
  dap: 'DAP: secret-shared, verified, central noise; trusts that one of two aggregators follows the protocol',
};

/** What this page's contributions get, in a sentence. */
export function modeNote(mode: LedgerView['mode']): string {
  switch (mode) {
    case 'dap':
      return 'Contributions are secure-aggregation (DAP) reports: each is split into two secret shares, one for each of two aggregators run by different parties, with a proof that it is well-formed; each aggregator adds noise to the sum, and only noisy sums over many visitors are released. This holds as long as one of the two aggregators follows the protocol.';
    case 'ldp':
      return 'Contributions are locally noised (LDP): noise is added on this device before anything is sent, so no server has to be trusted; the statistics are far less accurate.';
    case 'none':
      return 'No server is configured: nothing is ever sent.';
    default: {
      const never: never = mode;
      return String(never);
    }
  }
}

/** A DAP report as the panel lists it. */
export interface DapReportLine {
  readonly at: number;
  readonly task: string;
  readonly bytes: number;
  readonly epsilon: number;
}

/** The ledger's DAP reports, oldest first, with the task named in each row's summary. */
export function dapReportLines(rows: readonly LedgerRow[]): DapReportLine[] {
  return rows
    .filter((r) => r.kind === 'dap-report')
    .map((r) => ({
      at: r.at,
      task: /task '([^']*)'/.exec(r.summary)?.[1] ?? r.summary,
      bytes: r.bytes,
      epsilon: r.epsilon,
    }))
    .sort((a, b) => a.at - b.at);
}

/** What a `contribute()` call did, in a sentence for the panel's status line. */
export function contributionText(out: ContributionOutcome): string {
  if (out.kind === 'skipped') return `Nothing sent: ${out.reason}.`;
  if (out.tasks.length === 0) return 'Nothing sent: no secure-aggregation task is open.';
  return out.tasks
    .map((t) =>
      t.kind === 'reported'
        ? `Sent a secure-aggregation report for ${t.name} (${t.bytes} bytes, ε ${t.epsilon.toFixed(2)}).`
        : `${t.kind === 'failed' ? 'Failed' : 'Nothing sent'} for ${t.name}: ${t.reason}.`,
    )
    .join(' ');
}
