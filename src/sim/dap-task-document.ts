/**
 * Task documents as an operator publishes them (`PUT /v1/admin/dap/tasks`): the measurement, the
 * Prio3SumVec parameters it needs, and the discrete Gaussian σ each aggregator adds so that one
 * report costs `rho` (σ = Δ/√(2ρ), Δ the report's L2 sensitivity; src/privacy/dap-accounting.ts).
 * Used by the simulation and by `npm start`'s demo.
 */
import { chunkLengthFor } from '../federated/dap-report.ts';
import {
  dapSigma,
  measurementBits,
  measurementLength,
  reportSensitivity,
} from '../privacy/dap-accounting.ts';
import { DAP_TASK_VERSION, type DapMeasurement, type DapTask } from '../protocol/dap.ts';

/** Where and when a task takes reports. */
export interface TaskPlacement {
  /** The two aggregators' DAP base URLs. */
  readonly leader: string;
  readonly helper: string;
  /** Reports are taken for times in [start, end) (epoch ms). */
  readonly window: { readonly start: number; readonly end: number };
  readonly timePrecisionSeconds: number;
  readonly minBatch: number;
}

/** 32 random bytes (from `random`, uniforms in [0, 1)) as a task id in base64url. */
export function newTaskId(random: () => number): string {
  const bytes = Array.from({ length: 32 }, () => Math.floor(random() * 256));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** A consistent task document whose noise makes one report cost `rho` (zCDP). */
export function dapTaskDocument(
  id: string,
  name: string,
  measurement: DapMeasurement,
  rho: number,
  placement: TaskPlacement,
): DapTask {
  const sensitivity = reportSensitivity(measurement);
  const length = measurementLength(measurement);
  return {
    v: DAP_TASK_VERSION,
    id,
    name,
    measurement,
    vdaf: {
      type: 'sumVec',
      length,
      bits: measurementBits(measurement),
      chunkLength: chunkLengthFor(length),
    },
    noise: {
      mechanism: 'discrete-gaussian',
      sigma: dapSigma(sensitivity, rho),
      sensitivity,
      rho,
    },
    window: { ...placement.window },
    timePrecisionSeconds: placement.timePrecisionSeconds,
    minBatch: placement.minBatch,
    leader: placement.leader,
    helper: placement.helper,
  };
}
