/**
 * Aggregation strategies: how the server turns k client updates into the next global model.
 * An interface as in Flower (Beutel et al. 2020, "Flower: A Friendly Federated Learning
 * Framework", `server/strategy/strategy.py`), but pure: state goes in and comes out explicitly,
 * nothing is mutated. FedAvg: McMahan et al. 2017, "Communication-Efficient Learning of Deep
 * Networks from Decentralized Data" (AISTATS). FedAdam: Reddi et al. 2021, "Adaptive Federated
 * Optimization" (ICLR), Algorithm 2, here with Adam's bias correction so that one local SGD step
 * per client reproduces central Adam on the averaged gradient.
 */

/**
 * Input of one aggregation: the current global parameters, the updates (deltas) — an iterable
 * decoded lazily from storage, so memory stays at one update whatever k is — and the state.
 */
export interface AggregationInput {
  readonly global: Float32Array;
  readonly updates: Iterable<Float32Array>;
  readonly state: readonly Float32Array[];
}

/** Output: the next global parameters and the next strategy state. */
export interface AggregationResult {
  readonly params: Float32Array;
  readonly state: Float32Array[];
}

/** A pure aggregation strategy. */
export interface AggregationStrategy {
  readonly name: string;
  aggregate(input: AggregationInput): AggregationResult;
}

/** Mean of the updates, coordinate-wise (float64 accumulation). */
export function meanOf(updates: Iterable<Float32Array>, length: number): Float64Array {
  const sum = new Float64Array(length);
  let count = 0;
  for (const u of updates) {
    count++;
    for (let i = 0; i < length; i++) sum[i] = (sum[i] ?? 0) + (u[i] ?? 0);
  }
  const n = Math.max(1, count);
  for (let i = 0; i < length; i++) sum[i] = (sum[i] ?? 0) / n;
  return sum;
}

/** FedAvg: global + serverLearningRate · mean(delta). Stateless. */
export function fedAvg(options: { serverLearningRate?: number } = {}): AggregationStrategy {
  const lr = options.serverLearningRate ?? 1;
  return {
    name: `fedavg(lr=${lr})`,
    aggregate({ global, updates }) {
      const mean = meanOf(updates, global.length);
      const params = new Float32Array(global.length);
      for (let i = 0; i < global.length; i++) params[i] = (global[i] ?? 0) + lr * (mean[i] ?? 0);
      return { params, state: [] };
    },
  };
}

/** FedAdam: Adam on the pseudo-gradient −mean(delta); state = [m, v, step]. */
export function fedAdam(
  options: { learningRate?: number; beta1?: number; beta2?: number; epsilon?: number } = {},
): AggregationStrategy {
  const lr = options.learningRate ?? 0.01;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  return {
    name: `fedadam(lr=${lr})`,
    aggregate({ global, updates, state }) {
      const n = global.length;
      const mean = meanOf(updates, n);
      const m = state[0]?.length === n ? Float32Array.from(state[0]) : new Float32Array(n);
      const v = state[1]?.length === n ? Float32Array.from(state[1]) : new Float32Array(n);
      const step = (state[2]?.[0] ?? 0) + 1;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      const params = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const g = -(mean[i] ?? 0);
        const mi = b1 * (m[i] ?? 0) + (1 - b1) * g;
        const vi = b2 * (v[i] ?? 0) + (1 - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] = (global[i] ?? 0) - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
      return { params, state: [m, v, Float32Array.of(step)] };
    },
  };
}
