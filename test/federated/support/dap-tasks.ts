/** Consistent task documents for client tests (the leader's admin route builds the real ones). */
import { Buffer } from 'buffer';
import {
  dapSigma,
  measurementBits,
  measurementLength,
  reportSensitivity,
} from '../../../src/privacy/dap-accounting.ts';
import { DAP_TASK_VERSION, type DapMeasurement, type DapTask } from '../../../src/protocol/dap.ts';

export const SERVER = 'https://shop.example/';
export const LEADER = 'https://shop.example/dap/';
export const HELPER = 'https://helper.example/dap/';

let counter = 0;

/** A task id: 32 distinct bytes per call, base64url. */
export function taskId(): string {
  counter += 1;
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, counter);
  return Buffer.from(bytes).toString('base64url');
}

/** A task whose noise gives `rho` per report, open over [0, 10^13) unless overridden. */
export function dapTask(
  measurement: DapMeasurement,
  options: { readonly rho?: number; readonly name?: string } & Partial<DapTask> = {},
): DapTask {
  const { rho = 0.05, name = 'item popularity', ...overrides } = options;
  const sensitivity = reportSensitivity(measurement);
  const length = measurementLength(measurement);
  return {
    v: DAP_TASK_VERSION,
    id: taskId(),
    name,
    measurement,
    vdaf: {
      type: 'sumVec',
      length,
      bits: measurementBits(measurement),
      chunkLength: Math.max(1, Math.ceil(Math.sqrt(length))),
    },
    noise: { mechanism: 'discrete-gaussian', sigma: dapSigma(sensitivity, rho), sensitivity, rho },
    window: { start: 0, end: 1e13 },
    timePrecisionSeconds: 3600,
    minBatch: 2,
    leader: LEADER,
    helper: HELPER,
    ...overrides,
  };
}
