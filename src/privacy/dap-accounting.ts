/**
 * Privacy accounting of secure-aggregation reports: the L2 sensitivity of one report for each
 * measurement kind, the noise that gives a zCDP budget, and the check a client runs on a published
 * task before it contributes. Adjacency is add/remove of one visitor's report (user-level: one
 * report per visitor per task). Each aggregator adds a discrete Gaussian N_Z(0, σ²) to its share;
 * one such noise alone gives ρ = Δ²/(2σ²)-zCDP (Canonne, Kamath & Steinke 2020, "The Discrete
 * Gaussian for Differential Privacy", NeurIPS, Thm. 4 with L2 sensitivity Δ over integer vectors).
 */
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';
import { DapTaskError } from './errors.ts';

/** Entries of the SumVec a measurement is encoded as. */
export function measurementLength(m: DapMeasurement): number {
  switch (m.kind) {
    case 'item-histogram':
      return m.items.length;
    case 'ranker-update':
      return 2 * m.features.length + 1;
    case 'pair-counts':
      return m.cells.length;
    case 'model-evaluation':
      return 3;
    default: {
      const never: never = m;
      throw new DapTaskError(`unknown measurement ${JSON.stringify(never)}`);
    }
  }
}

/** Largest integer one honest report puts in one entry. */
export function measurementMaxEntry(m: DapMeasurement): number {
  switch (m.kind) {
    case 'item-histogram':
      return 1;
    case 'ranker-update':
      // Stochastic rounding of a value ≤ clip·scale gives at most ceil(clip·scale).
      return Math.max(1, Math.ceil(m.clip * m.scale));
    case 'pair-counts':
      // A cell's weight is capped at 1, so its rounded entry is at most `scale`.
      return m.scale;
    case 'model-evaluation':
      return 1;
    default: {
      const never: never = m;
      throw new DapTaskError(`unknown measurement ${JSON.stringify(never)}`);
    }
  }
}

/** Bits per entry that hold the largest honest entry (the proof bounds every entry by 2^bits − 1). */
export function measurementBits(m: DapMeasurement): number {
  return Math.max(1, Math.ceil(Math.log2(measurementMaxEntry(m) + 1)));
}

/**
 * L2 norm bound of one honest report (its add/remove sensitivity): √maxItems for a multi-hot
 * histogram; for a ranker delta clipped to C and scaled by s, the sign-split rounded vector has
 * norm ≤ C·s + √d (rounding adds at most 1 to each of the d non-zero entries), plus the count entry.
 */
export function reportSensitivity(m: DapMeasurement): number {
  switch (m.kind) {
    case 'item-histogram':
      return Math.sqrt(m.maxItems);
    case 'ranker-update': {
      const d = m.features.length;
      const values = m.clip * m.scale + Math.sqrt(d);
      return Math.sqrt(values * values + 1);
    }
    case 'pair-counts':
      // The encoder projects the rounded vector back inside this integer L2 ball.
      return m.clip * m.scale;
    case 'model-evaluation':
      return 1;
    default: {
      const never: never = m;
      throw new DapTaskError(`unknown measurement ${JSON.stringify(never)}`);
    }
  }
}

/** σ of the discrete Gaussian each aggregator adds so that one report costs `rho` (zCDP). */
export function dapSigma(sensitivity: number, rho: number): number {
  if (!(sensitivity > 0 && rho > 0 && Number.isFinite(rho))) {
    throw new DapTaskError(
      `noise needs a positive sensitivity and a finite positive ρ (got Δ = ${sensitivity}, ρ = ${rho})`,
    );
  }
  return sensitivity / Math.sqrt(2 * rho);
}

/** zCDP ρ of one report under noise σ: Δ²/(2σ²). */
export function dapRho(sensitivity: number, sigma: number): number {
  return (sensitivity * sensitivity) / (2 * sigma * sigma);
}

/**
 * Checks a published task against what this client computes itself: the SumVec's length and bits
 * fit the measurement, the declared sensitivity is not below the true one, and the declared ρ is
 * what σ gives (a task that understates its cost is refused). Returns the ρ the client accounts.
 */
export function checkDapTask(task: DapTask): number {
  const m = task.measurement;
  const problems: string[] = [];
  const length = measurementLength(m);
  if (task.vdaf.length !== length)
    problems.push(`vdaf.length is ${task.vdaf.length}, the measurement needs ${length}`);
  const bits = measurementBits(m);
  if (task.vdaf.bits !== bits)
    problems.push(`vdaf.bits is ${task.vdaf.bits}, the measurement needs ${bits}`);
  if (
    (m.kind === 'item-histogram' || m.kind === 'pair-counts') &&
    new Set(m.items).size !== m.items.length
  )
    problems.push('measurement.items repeats an id');
  if (m.kind === 'pair-counts') {
    const n = m.items.length;
    const seen = new Set<number>();
    for (const [a, b] of m.cells) {
      if (!(a < b && b < n)) {
        problems.push(`measurement.cells has [${a}, ${b}]: cells are pairs a < b < ${n}`);
        break;
      }
      const key = a * n + b;
      if (seen.has(key)) {
        problems.push(`measurement.cells repeats [${a}, ${b}]`);
        break;
      }
      seen.add(key);
    }
  }
  const sensitivity = reportSensitivity(m);
  if (task.noise.sensitivity < sensitivity * (1 - 1e-9))
    problems.push(
      `noise.sensitivity ${task.noise.sensitivity} is below the report's L2 bound ${sensitivity}`,
    );
  const rho = dapRho(sensitivity, task.noise.sigma);
  if (task.noise.rho < rho * (1 - 1e-6))
    problems.push(
      `noise.rho ${task.noise.rho} understates the cost ${rho} of σ = ${task.noise.sigma}`,
    );
  if (problems.length > 0) {
    throw new DapTaskError(
      `task '${task.name}' (${task.id}) is not consistent: ${problems.join('; ')}. Nothing was sent; the operator must republish the task.`,
    );
  }
  return Math.max(rho, task.noise.rho);
}
