import { describe, expect, it } from 'vitest';
import { formatBytes, parseLayout, parseLimit, progressFraction } from '../../src/widget/format.ts';
import { cumulativeEpsilon, epsilonPath, epsilonScale } from '../../src/widget/ledger-chart.ts';
import { contributionText, dapReportLines, modeNote } from '../../src/widget/protection.ts';
import { safeUrl } from '../../src/widget/safe-url.ts';

const row = (at: number, epsilon: number) => ({
  at,
  kind: 'telemetry',
  bytes: 10,
  epsilon,
  delta: 0,
  summary: 's',
});

describe('widget helpers', () => {
  it('falls back to the default limit for out-of-range or non-integer values', () => {
    expect([
      parseLimit('4'),
      parseLimit('0'),
      parseLimit('2.5'),
      parseLimit('x'),
      parseLimit(null),
    ]).toEqual([4, 6, 6, 6, 6]);
  });

  it('treats unknown layouts as grid', () => {
    expect([parseLayout('list'), parseLayout('carousel'), parseLayout('tiles')]).toEqual([
      'list',
      'carousel',
      'grid',
    ]);
  });

  it('formats bytes with binary units', () => {
    expect([formatBytes(0), formatBytes(812), formatBytes(2048), formatBytes(-1)]).toEqual([
      '0 B',
      '812 B',
      '2.0 KB',
      '—',
    ]);
  });

  it('reports zero progress when the total is unknown and clamps to one', () => {
    expect([progressFraction(5, 0), progressFraction(5, 10), progressFraction(20, 10)]).toEqual([
      0, 0.5, 1,
    ]);
  });

  it('keeps only http(s) and relative URLs', () => {
    const base = 'https://shop.example/books/';
    expect(safeUrl('javascript:alert(1)', base)).toBeUndefined();
    expect(safeUrl('data:text/html,x', base)).toBeUndefined();
    expect(safeUrl('/covers/a.svg', base)).toBe('https://shop.example/covers/a.svg');
    expect(safeUrl(undefined, base)).toBeUndefined();
  });

  it('accumulates ε in time order and scales the path to the cap', () => {
    const points = cumulativeEpsilon([row(20, 2), row(10, 1)]);
    expect(points).toEqual([
      { at: 10, epsilon: 1 },
      { at: 20, epsilon: 3 },
    ]);
    expect(epsilonPath(points, 100, 60, 6)).toBe(
      'M 0 60 L 0.0 60.0 L 0.0 50.0 L 100.0 50.0 L 100.0 30.0 L 100 30.0',
    );
  });

  it('draws a spend of ε 0.25 against a cap of 64 at least a fifth of the chart high', () => {
    // Arrange
    const points = cumulativeEpsilon([row(10, 0), row(20, 0.25)]);
    // Act
    const top = epsilonScale(points, 64);
    const path = epsilonPath(points, 320, 90, top);
    // Assert: the curve ends at y = 90 − 90 · 0.25 / top.
    const endY = Number(path.split(' ').at(-1));
    expect(top).toBe(1);
    expect(90 - endY).toBeGreaterThanOrEqual(90 / 5);
    expect(epsilonScale(cumulativeEpsilon([row(10, 50)]), 64)).toBe(64);
  });
});

describe('privacy panel: protection of each release', () => {
  it('says what each mode trusts: DAP one of two aggregators, LDP no server', () => {
    expect(modeNote('dap')).toContain('as long as one of the two aggregators follows the protocol');
    expect(modeNote('ldp')).toContain('no server has to be trusted');
    expect(modeNote('none')).toBe('No server is configured: nothing is ever sent.');
  });

  it('lists each DAP report with its task, bytes and ε, oldest first', () => {
    const rows = [
      {
        ...row(2, 0.5),
        kind: 'dap-report',
        bytes: 168_000,
        summary: "PUT x — DAP report for task 'ranker update' (…)",
      },
      row(1, 2),
      {
        ...row(1, 1.5),
        kind: 'dap-report',
        bytes: 900,
        summary: "PUT x — DAP report for task 'item popularity' (…)",
      },
    ];
    expect(dapReportLines(rows)).toEqual([
      { at: 1, task: 'item popularity', bytes: 900, epsilon: 1.5 },
      { at: 2, task: 'ranker update', bytes: 168_000, epsilon: 0.5 },
    ]);
  });

  it('describes a contribution task by task', () => {
    expect(
      contributionText({
        kind: 'dap',
        tasks: [
          {
            kind: 'reported',
            task: 't',
            name: 'item popularity',
            bytes: 900,
            rho: 0.1,
            epsilon: 2.25,
            status: 201,
            reportMs: 5,
          },
          { kind: 'skipped', task: 'u', name: 'ranker update', reason: 'no local ranking example' },
        ],
      }),
    ).toBe(
      'Sent a secure-aggregation report for item popularity (900 bytes, ε 2.25). Nothing sent for ranker update: no local ranking example.',
    );
    expect(contributionText({ kind: 'skipped', reason: 'sending is off (no consent)' })).toBe(
      'Nothing sent: sending is off (no consent).',
    );
  });
});
