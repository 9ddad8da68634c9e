/**
 * Fills the demo's privacy panel: requests that left the page, the ε chart, local storage, and
 * where the shared model came from.
 */

import type { DemoSeedNote } from '../../protocol/demo-seed.ts';
import { formatBytes } from '../format.ts';
import type { HearthApi } from '../hearth.ts';
import { cumulativeEpsilon, epsilonPath, epsilonScale } from '../ledger-chart.ts';
import { dapReportLines, modeNote, PROTECTION_TEXT } from '../protection.ts';
import { modelOriginText } from './seed-note.ts';

function row(doc: Document, cells: readonly string[]): HTMLTableRowElement {
  const tr = doc.createElement('tr');
  for (const text of cells) {
    const td = doc.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

/** The path of a URL for a narrow column; the URL as given when it does not parse. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Every resource request this page made, from the Resource Timing API (URL and size only). */
function pageRequests(): { at: number; url: string; bytes: number }[] {
  return performance
    .getEntriesByType('resource')
    .map((e) => e as PerformanceResourceTiming)
    .map((e) => ({
      at: performance.timeOrigin + e.startTime,
      url: e.name,
      bytes: e.encodedBodySize,
    }));
}

/**
 * Re-renders the panel from the ledger, the page's requests, the storage counts and the server's
 * note on the seeded shared model (null: none).
 */
export async function renderPrivacyPanel(
  hearth: HearthApi,
  doc: Document,
  seed: DemoSeedNote | null = null,
): Promise<void> {
  const [ledger, storage] = await Promise.all([hearth.ledger(), hearth.storage()]);
  const requests = doc.getElementById('requests');
  if (requests !== null) {
    // The worker's requests are ledger rows (downloads of public files at ε 0, releases with their
    // ε); the page's own loads (its scripts, styles) come from Resource Timing. Newest last.
    const rows: { at: number; cells: string[] }[] = ledger.rows.map((r) => ({
      at: r.at,
      cells:
        r.kind === 'download'
          ? [
              new Date(r.at).toLocaleTimeString(),
              `download ${pathOf(r.url)}`,
              // The summary reads "GET <url> — <what>"; the URL is in the column before.
              `${r.summary.split(' — ')[1] ?? r.summary} · nothing sent · ε 0`,
            ]
          : [
              new Date(r.at).toLocaleTimeString(),
              `${r.kind} ${r.url ?? ''}`,
              [
                r.summary,
                formatBytes(r.bytes),
                `ε ${r.epsilon.toFixed(2)}`,
                ...(r.protection === undefined ? [] : [PROTECTION_TEXT[r.protection]]),
              ].join(' · '),
            ],
    }));
    for (const r of pageRequests()) {
      const url = new URL(r.url);
      rows.push({
        at: r.at,
        cells: [
          new Date(r.at).toLocaleTimeString(),
          `GET ${url.pathname}`,
          `page file, no payload sent · ${formatBytes(r.bytes)}`,
        ],
      });
    }
    rows.sort((a, b) => a.at - b.at);
    requests.replaceChildren(...rows.slice(-40).map((r) => row(doc, r.cells)));
  }
  const consent = doc.getElementById('consent');
  if (consent instanceof HTMLInputElement) consent.checked = ledger.consent;
  const note = doc.getElementById('consent-note');
  if (note !== null) {
    note.textContent = ledger.consent
      ? 'Sharing is on: only noised statistics are sent, each one is listed below.'
      : 'Sharing is off: nothing is sent. Only downloads of public files (catalog, models, runtime) appear below, at ε 0.';
  }
  const mode = doc.getElementById('protection-note');
  if (mode !== null) mode.textContent = modeNote(ledger.mode);
  const origin = doc.getElementById('model-origin');
  if (origin !== null) origin.textContent = modelOriginText(seed, ledger.consent);
  const reports = doc.getElementById('dap-reports');
  if (reports !== null) {
    const lines = dapReportLines(ledger.rows);
    reports.replaceChildren(
      ...(lines.length === 0
        ? [row(doc, ['no secure-aggregation report yet', '', ''])]
        : lines.map((l) => row(doc, [l.task, formatBytes(l.bytes), `ε ${l.epsilon.toFixed(2)}`]))),
    );
  }
  const path = doc.getElementById('epsilon-path');
  const points = cumulativeEpsilon(ledger.rows);
  const top = epsilonScale(points, ledger.caps.lifetimeEpsilon);
  path?.setAttribute('d', epsilonPath(points, 320, 90, top));
  const label = doc.getElementById('epsilon-label');
  if (label !== null) {
    label.textContent = `Spent today ε = ${ledger.dailyEpsilon.toFixed(2)} of ${ledger.caps.dailyEpsilon}; lifetime ε = ${ledger.lifetimeEpsilon.toFixed(2)} of ${ledger.caps.lifetimeEpsilon}. The chart's scale runs to ε = ${Number(top.toFixed(2))}.`;
  }
  const store = doc.getElementById('storage');
  if (store !== null) {
    const rows = storage.stores.map((s) =>
      row(doc, [s.name, `${s.count} records`, s.bytes > 0 ? formatBytes(s.bytes) : '']),
    );
    if (storage.usageBytes !== undefined)
      rows.push(row(doc, ['origin total', '', formatBytes(storage.usageBytes)]));
    store.replaceChildren(...rows);
  }
}
