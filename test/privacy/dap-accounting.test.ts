import { describe, expect, it } from 'vitest';
import {
  checkDapTask,
  dapRho,
  dapSigma,
  measurementBits,
  measurementLength,
  reportSensitivity,
} from '../../src/privacy/dap-accounting.ts';
import { DapTaskError } from '../../src/privacy/errors.ts';
import { DAP_TASK_VERSION, type DapTask } from '../../src/protocol/dap.ts';

const histogram = { kind: 'item-histogram' as const, items: ['a', 'b', 'c', 'd'], maxItems: 2 };

function task(overrides: Partial<DapTask> = {}): DapTask {
  const sensitivity = Math.SQRT2;
  const sigma = 3;
  return {
    v: DAP_TASK_VERSION,
    id: 'A'.repeat(43),
    name: 'item popularity',
    measurement: histogram,
    vdaf: { type: 'sumVec', length: 4, bits: 1, chunkLength: 2 },
    noise: { mechanism: 'discrete-gaussian', sigma, sensitivity, rho: dapRho(sensitivity, sigma) },
    window: { start: 0, end: 1_000 },
    timePrecisionSeconds: 60,
    minBatch: 10,
    leader: 'https://leader.example/dap/',
    helper: 'https://helper.example/dap/',
    ...overrides,
  };
}

describe('secure-aggregation accounting', () => {
  it('bounds a multi-hot report by √maxItems and a ranker report by C·s + √d plus the count', () => {
    expect(reportSensitivity(histogram)).toBeCloseTo(Math.SQRT2, 12);
    const ranker = {
      kind: 'ranker-update' as const,
      modelVersion: 0,
      features: ['x', 'y', 'z', 'w'],
      clip: 1,
      scale: 20,
      localSteps: 1,
      learningRate: 0.1,
    };
    expect(reportSensitivity(ranker)).toBeCloseTo(Math.hypot(20 + 2, 1), 12);
    expect(measurementLength(ranker)).toBe(9);
    expect(measurementBits(ranker)).toBe(5);
  });

  it('calibrates σ to ρ and back', () => {
    expect(dapRho(2, dapSigma(2, 0.25))).toBeCloseTo(0.25, 12);
  });

  it('accepts a consistent task and returns the ρ to account', () => {
    expect(checkDapTask(task())).toBeCloseTo(2 / 18, 12);
  });

  it('refuses a task that understates its cost or misfits its vector', () => {
    const cheap = task();
    expect(() => checkDapTask({ ...cheap, noise: { ...cheap.noise, rho: 0.01 } })).toThrow(
      DapTaskError,
    );
    expect(() => checkDapTask({ ...cheap, noise: { ...cheap.noise, sensitivity: 1 } })).toThrow(
      /below the report's L2 bound/,
    );
    expect(() => checkDapTask({ ...cheap, vdaf: { ...cheap.vdaf, length: 5 } })).toThrow(
      /vdaf.length is 5, the measurement needs 4/,
    );
  });

  it('refuses pair cells that are not ordered pairs of the listed items', () => {
    const m = {
      kind: 'pair-counts' as const,
      items: ['a', 'b', 'c'],
      cells: [[1, 0]] as [number, number][],
      maxEvents: 20,
      window: 5,
      decay: 0.9,
      clip: 3,
      scale: 8,
    };
    const sensitivity = reportSensitivity(m);
    const bad = task({
      measurement: m,
      vdaf: { type: 'sumVec', length: 1, bits: 4, chunkLength: 1 },
      noise: {
        mechanism: 'discrete-gaussian',
        sigma: 20,
        sensitivity,
        rho: dapRho(sensitivity, 20),
      },
    });
    expect(() => checkDapTask(bad)).toThrow(/cells are pairs a < b < 3/);
    const good = { ...bad, measurement: { ...m, cells: [[0, 1]] as [number, number][] } };
    expect(checkDapTask(good)).toBeCloseTo(dapRho(24, 20), 12);
  });
});
