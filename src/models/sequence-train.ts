/**
 * Training the sequence model (`c_ab / (n_a^alpha · n_b^beta)` over recency-weighted pairs inside a
 * window; Aiolli, RecSys 2013) from chronological item rows. Pure.
 */
import type { SequenceModel } from '../engine/sequence-model.ts';

/** How co-occurrences become weights. */
export interface SequenceModelOptions {
  /** Pairs further apart than this many events in a user's sequence are ignored. */
  readonly window: number;
  /** A pair `gap` events apart counts `pairDecay^(gap-1)`. */
  readonly pairDecay: number;
  /** Weight of the backward direction (b before a) relative to the forward one. */
  readonly backward: number;
  /** Exponent of the source item's count in the normaliser. */
  readonly alpha: number;
  /** Exponent of the target item's count (lower than alpha: popular targets are not punished). */
  readonly beta: number;
  /** Neighbours kept per item (bounds the file size and on-device scoring time). */
  readonly topK: number;
}

/** Defaults chosen on a validation split carved from training (see docs/engine.md). */
export const DEFAULT_SEQUENCE_OPTIONS: SequenceModelOptions = {
  window: 20,
  pairDecay: 0.9,
  backward: 0.5,
  alpha: 0.7,
  beta: 0.3,
  topK: 200,
};

/** Builds the model from each user's chronological item rows (pure). */
export function trainSequenceModel(
  itemIds: readonly string[],
  sequences: readonly (readonly number[])[],
  options: SequenceModelOptions = DEFAULT_SEQUENCE_OPTIONS,
  version = 'sequence-v1',
): SequenceModel {
  const n = itemIds.length;
  const counts = new Float64Array(n);
  const pairs: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const add = (a: number, b: number, w: number) => {
    const row = pairs[a]!;
    row.set(b, (row.get(b) ?? 0) + w);
  };
  for (const raw of sequences) {
    const rows = raw.filter((r) => Number.isInteger(r) && r >= 0 && r < n);
    for (const r of new Set(rows)) counts[r]! += 1;
    for (let t = 1; t < rows.length; t++) {
      for (let j = Math.max(0, t - options.window); j < t; j++) {
        const a = rows[j]!;
        const b = rows[t]!;
        if (a === b) continue;
        const w = options.pairDecay ** (t - j - 1);
        add(a, b, w);
        if (options.backward > 0) add(b, a, options.backward * w);
      }
    }
  }
  const offsets = new Uint32Array(n + 1);
  const kept: [number, number][][] = pairs.map((row, a) => {
    const scored: [number, number][] = [];
    for (const [b, c] of row)
      scored.push([b, c / (counts[a]! ** options.alpha * counts[b]! ** options.beta)]);
    scored.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    return scored.slice(0, options.topK);
  });
  kept.forEach((row, a) => {
    offsets[a + 1] = offsets[a]! + row.length;
  });
  const neighbours = new Uint32Array(offsets[n]!);
  const weights = new Float32Array(offsets[n]!);
  kept.forEach((row, a) => {
    row.forEach(([b, w], i) => {
      neighbours[offsets[a]! + i] = b;
      weights[offsets[a]! + i] = w;
    });
  });
  return { version, itemIds: [...itemIds], offsets, neighbours, weights };
}
