/**
 * Differential privacy as a wrapper around any aggregation strategy (the Flower pattern of
 * `DifferentialPrivacyServerSideFixedClipping`, without its in-place mutation).
 * - `central`: clip each update to C, add N(0, (zC)²) to the sum (DP-FedAvg, McMahan et al.
 *   2018, "Learning Differentially Private Recurrent Language Models", ICLR), average.
 * - `local`: clients already clipped and noised (Hearth's default); the wrapper only enforces
 *   the accepted norm bound again, so a wrapped strategy can never see an out-of-bound update.
 */
import { clipL2 } from '../privacy/clip.ts';
import { gaussian, type Rng } from '../shared/rng.ts';
import type { AggregationStrategy } from './strategy.ts';

/** Options of the DP wrapper. */
export type DpWrapperOptions =
  | {
      readonly mode: 'central';
      readonly clipNorm: number;
      readonly noiseMultiplier: number;
      readonly rng: Rng;
    }
  | { readonly mode: 'local'; readonly maxUpdateNorm: number };

function* mapIterable<T, U>(items: Iterable<T>, fn: (item: T) => U): Generator<U> {
  for (const item of items) yield fn(item);
}

/** Wraps `inner` so it only ever aggregates DP-bounded updates. */
export function withDifferentialPrivacy(
  inner: AggregationStrategy,
  options: DpWrapperOptions,
): AggregationStrategy {
  if (options.mode === 'local') {
    return {
      name: `local-dp(${inner.name})`,
      aggregate: (input) =>
        inner.aggregate({
          ...input,
          updates: mapIterable(input.updates, (u) => clipL2(u, options.maxUpdateNorm)),
        }),
    };
  }
  return {
    name: `central-dp(${inner.name}, C=${options.clipNorm}, z=${options.noiseMultiplier})`,
    aggregate(input) {
      const n = input.global.length;
      const sum = new Float64Array(n);
      let k = 0;
      for (const u of input.updates) {
        k++;
        const clipped = clipL2(u, options.clipNorm);
        for (let i = 0; i < n; i++) sum[i] = (sum[i] ?? 0) + (clipped[i] ?? 0);
      }
      const sigma = options.noiseMultiplier * options.clipNorm;
      const noisyMean = new Float32Array(n);
      for (let i = 0; i < n; i++)
        noisyMean[i] = ((sum[i] ?? 0) + sigma * gaussian(options.rng)) / Math.max(1, k);
      // The inner strategy averages; the single noisy mean averages to itself.
      return inner.aggregate({ ...input, updates: [noisyMean] });
    },
  };
}
