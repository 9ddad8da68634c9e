/**
 * The private statistics' task design: the budget split (ρ adds up to the visitor's total; the
 * pair counts get a share only when enough visitors report), the pair task's cells (chosen from
 * public inputs only, deterministically) and the SumVec and noise of a task (what a client's
 * own check accepts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRIVATE_STATISTICS,
  histogramMeasurement,
  NOISE_SHARES,
  pairCountsMeasurement,
  pairsWorthBudget,
  planBudget,
  taskParts,
} from '../../src/models/private-tasks.ts';
import { checkDapTask, dapSigma, reportSensitivity } from '../../src/privacy/dap-accounting.ts';
import { rhoForBudget, rhoToEpsilon } from '../../src/privacy/rdp.ts';
import type { DapMeasurement, DapTask } from '../../src/protocol/dap.ts';
import { seededRng } from '../../src/shared/rng.ts';

const params = { ...DEFAULT_PRIVATE_STATISTICS, head: 6, cells: 5, priorTau: 2 };

describe('planBudget', () => {
  it('splits exactly the visitor total ρ of (ε, δ) between the tasks (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 16, noNaN: true }),
        fc.constantFrom(1e-5, 1e-6, 1e-8),
        fc.integer({ min: 0, max: 1_000_000 }),
        (epsilon, delta, reports) => {
          // Act
          const plan = planBudget(epsilon, delta, reports);
          // Assert
          expect(plan.rho).toBe(rhoForBudget(epsilon, delta));
          expect(plan.histogramRho + plan.pairsRho).toBeCloseTo(plan.rho, 12);
          expect(rhoToEpsilon(plan.rho, delta)).toBeLessThanOrEqual(epsilon * (1 + 1e-9));
          if (plan.usePairs) {
            expect(plan.histogramRho).toBeCloseTo(
              DEFAULT_PRIVATE_STATISTICS.histogramShare * plan.rho,
              12,
            );
          } else {
            expect(plan.pairsRho).toBe(0);
            expect(plan.histogramRho).toBe(plan.rho);
          }
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });

  it('sends the pair counts only when reports · √(ρ/2) reaches the minimum signal (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 16, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        (epsilon, reports) => {
          const plan = planBudget(epsilon, 1e-6, reports);
          const signal = reports * Math.sqrt(plan.rho / NOISE_SHARES);
          expect(plan.usePairs).toBe(signal >= DEFAULT_PRIVATE_STATISTICS.pairsMinSignal);
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });

  it('gives 610 visitors at ε = 8 no pair task and 10,000 visitors at ε = 2 one', () => {
    expect(planBudget(8, 1e-6, 610).usePairs).toBe(false);
    expect(planBudget(2, 1e-6, 10_000).usePairs).toBe(true);
  });

  it('puts the crossover exactly at the minimum signal', () => {
    const rho = 0.5;
    const reports = DEFAULT_PRIVATE_STATISTICS.pairsMinSignal / Math.sqrt(rho / NOISE_SHARES);
    expect(pairsWorthBudget(Math.ceil(reports), rho)).toBe(true);
    expect(pairsWorthBudget(Math.floor(reports) - 1, rho)).toBe(false);
  });
});

describe('histogramMeasurement', () => {
  it('counts the last maxItems distinct items over a copy of the catalog ids', () => {
    const ids = ['a', 'b'];
    const m = histogramMeasurement(ids);
    ids.push('c');
    expect(m).toEqual({ kind: 'item-histogram', items: ['a', 'b'], maxItems: 50 });
  });
});

describe('pairCountsMeasurement', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const estimate = [5, 80, 80, 3, 60, 40, 20, 0];
  const years = [1990, 1991, 2010, 1990, 1992, 2011, 2000, 1990];

  it('takes the head by released popularity (ties by catalog order) and the cells of largest prior', () => {
    // Act
    const m = pairCountsMeasurement(ids, estimate, years, params);
    // Assert: head = b, c, e, f, g, a (80, 80, 60, 40, 20, 5).
    expect(m.items).toEqual(['b', 'c', 'e', 'f', 'g', 'a']);
    const prior = (a: number, b: number) => {
      const row = (k: number) => ids.indexOf(m.items[k]!);
      const d = years[row(a)]! - years[row(b)]!;
      return (
        Math.sqrt(Math.max(1, estimate[row(a)]!) * Math.max(1, estimate[row(b)]!)) *
        Math.exp(-(d * d) / (2 * params.priorTau ** 2))
      );
    };
    const all: [number, number][] = [];
    for (let a = 0; a < 6; a++) for (let b = a + 1; b < 6; b++) all.push([a, b]);
    const best = all
      .sort((x, y) => prior(y[0], y[1]) - prior(x[0], x[1]))
      .slice(0, 5)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(m.cells).toEqual(best);
    expect(m.cells.every(([a, b]) => a < b)).toBe(true);
  });

  it('orders the cells by popularity alone without a public attribute', () => {
    const m = pairCountsMeasurement(ids, estimate, null, { ...params, cells: 3 });
    // √(p_a p_b) is largest for (b, c), then (b, e) and (c, e).
    expect(m.cells).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
  });

  it('is a function of its public inputs only: the same inputs give the same task (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }).chain((n) =>
          fc.record({
            estimate: fc.array(fc.integer({ min: -20, max: 200 }), { minLength: n, maxLength: n }),
            years: fc.array(fc.integer({ min: 1950, max: 2020 }), { minLength: n, maxLength: n }),
          }),
        ),
        ({ estimate: e, years: y }) => {
          // Arrange: fresh copies, so nothing but the values can carry over.
          const ids1 = e.map((_, i) => `item-${i}`);
          const frozen = JSON.stringify([ids1, e, y]);
          // Act
          const first = pairCountsMeasurement(ids1, e, y, params);
          const again = pairCountsMeasurement([...ids1], [...e], Float64Array.from(y), params);
          // Assert
          expect(again).toEqual(first);
          expect(JSON.stringify([ids1, e, y])).toBe(frozen); // inputs untouched
          expect(first.items.length).toBe(Math.min(params.head, e.length));
          expect(first.cells.length).toBe(
            Math.min(params.cells, (first.items.length * (first.items.length - 1)) / 2),
          );
        },
      ),
      { seed: 10, numRuns: 200 },
    );
  });

  it('copies the visitor-side parameters from the statistics parameters', () => {
    const m = pairCountsMeasurement(ids, estimate, years, params);
    expect(m).toMatchObject({ maxEvents: 20, window: 10, decay: 0.9, clip: 3, scale: 8 });
  });
});

describe('taskParts', () => {
  const rng = seededRng(3);
  const ids = Array.from({ length: 700 }, (_, i) => `i${i}`);
  const estimate = ids.map(() => Math.floor(1_000 * rng()));
  const measurements: DapMeasurement[] = [
    histogramMeasurement(ids),
    pairCountsMeasurement(ids, estimate, null),
  ];

  it.each(measurements.map((m) => [m.kind, m] as const))(
    'sizes the noise of a %s task to its sensitivity and ρ, and a client accepts the task',
    (_kind, m) => {
      // Act
      const parts = taskParts(m, 0.25);
      const task: DapTask = {
        v: 1,
        id: 'A'.repeat(43),
        name: m.kind,
        measurement: m,
        ...parts,
        window: { start: 0, end: 86_400_000 },
        timePrecisionSeconds: 3_600,
        minBatch: 10,
        leader: 'https://leader.example/dap/',
        helper: 'https://helper.example/dap/',
      };
      // Assert
      expect(parts.noise.sensitivity).toBe(reportSensitivity(m));
      expect(parts.noise.sigma).toBe(dapSigma(reportSensitivity(m), 0.25));
      expect(parts.vdaf.chunkLength).toBeLessThanOrEqual(300);
      expect(checkDapTask(task)).toBeCloseTo(0.25, 9);
    },
  );
});
