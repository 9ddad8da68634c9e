/** Consistent task documents for client tests (the operator's side builds the real ones). */
import type { DapMeasurement, DapTask } from '../../../src/protocol/dap.ts';
import { seededRng } from '../../../src/shared/rng.ts';
import { simTask } from '../../../src/sim/sim-dap.ts';

export const SERVER = 'https://shop.example/';
export const LEADER = 'https://shop.example/dap/';
export const HELPER = 'https://helper.example/dap/';

let counter = 0;

/** A task whose noise gives `rho` per report, open over [0, 10^13) unless overridden. */
export function dapTask(
  measurement: DapMeasurement,
  options: { readonly rho?: number; readonly name?: string } & Partial<DapTask> = {},
): DapTask {
  const { rho = 0.05, name = 'item popularity', ...overrides } = options;
  counter += 1;
  const task = simTask(
    { leader: LEADER, helper: HELPER },
    name,
    measurement,
    rho,
    seededRng(counter),
    0,
  );
  return { ...task, window: { start: 0, end: 1e13 }, ...overrides };
}
