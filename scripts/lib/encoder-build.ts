/**
 * Turns GloVe-style word vectors into the rows of the `hearth-encoder-v1` model.
 *
 * Sentence embedding by smooth inverse frequency (Arora, Liang & Ma, "A Simple but Tough-to-Beat
 * Baseline for Sentence Embeddings", ICLR 2017): v_s = mean_w a/(a + p(w)) · v_w, then the common
 * component(s) u are projected out, v_s − u uᵀ v_s. Both steps are linear, so they are applied to
 * each word row once here and mean pooling the stored rows gives the SIF embedding directly.
 */

/** A word list ordered by corpus frequency (most frequent first) with one vector per word. */
export interface WordVectors {
  readonly words: readonly string[];
  readonly dims: number;
  /** words.length × dims, row-major. */
  readonly data: Float32Array;
}

/** Parameters of a build; recorded in the manifest so a rebuild is reproducible. */
export interface EncoderBuildParams {
  /** Largest number of words kept (most frequent first). */
  readonly vocabLimit: number;
  /** SIF smoothing constant a. */
  readonly sifA: number;
  /** Zipf–Mandelbrot offset b in p(r) ∝ (r + b)^−s. */
  readonly zipfOffset: number;
  /** Zipf–Mandelbrot exponent s. */
  readonly zipfExponent: number;
  /** Scale every word vector to unit length before weighting. */
  readonly unitWords: boolean;
  /** How many common components to remove. */
  readonly commonComponents: number;
  /** Typical sentence length in words: the expected sentence moment is m mᵀ + Cov / L. */
  readonly sentenceLength: number;
}

export const DEFAULT_BUILD_PARAMS: EncoderBuildParams = {
  vocabLimit: 56_000,
  sifA: 1e-3,
  zipfOffset: 2.7,
  zipfExponent: 1,
  unitWords: true,
  commonComponents: 1,
  sentenceLength: 10,
};

/** Tokens the BERT pre-tokenizer can produce whole: letters/digits only, or one punctuation mark. */
export function isWholeToken(word: string): boolean {
  return /^[\p{L}\p{N}]+$/u.test(word) || /^[\p{P}\p{S}]$/u.test(word);
}

/** Lowercases and strips accents the way the BERT normalizer does, so vocabulary keys match. */
export function normalizeLikeBert(word: string): string {
  return word
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
}

/** Estimates unigram probabilities from frequency ranks with the Zipf–Mandelbrot law. */
export function zipfProbabilities(total: number, offset: number, exponent: number): Float64Array {
  const p = new Float64Array(total);
  let sum = 0;
  for (let r = 0; r < total; r++) {
    p[r] = (r + 1 + offset) ** -exponent;
    sum += p[r]!;
  }
  for (let r = 0; r < total; r++) p[r] = p[r]! / sum;
  return p;
}

/** SIF weight a / (a + p) per word. */
export function sifWeights(probabilities: Float64Array, a: number): Float64Array {
  return probabilities.map((p) => a / (a + p));
}

/**
 * Top principal directions (uncentred) of the expected sentence vector when words are drawn from
 * the unigram distribution, found by power iteration with deflation on the dims × dims second-moment matrix.
 */
export function commonDirections(
  rows: Float32Array,
  dims: number,
  rowWeights: Float64Array,
  count: number,
  sentenceLength: number,
): Float64Array[] {
  const n = rowWeights.length;
  const mean = new Float64Array(dims);
  const moment = new Float64Array(dims * dims);
  for (let r = 0; r < n; r++) {
    const w = rowWeights[r]!;
    if (w === 0) continue;
    const base = r * dims;
    for (let i = 0; i < dims; i++) {
      const xi = rows[base + i]! * w;
      mean[i] = mean[i]! + xi;
      for (let j = 0; j < dims; j++)
        moment[i * dims + j] = moment[i * dims + j]! + xi * rows[base + j]!;
    }
  }
  // A sentence of L independent words has E[v vᵀ] = m mᵀ + (E[x xᵀ] − m mᵀ) / L.
  const inv = 1 / sentenceLength;
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j < dims; j++) {
      const mm = mean[i]! * mean[j]!;
      moment[i * dims + j] = mm + (moment[i * dims + j]! - mm) * inv;
    }
  }
  const directions: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    let v = new Float64Array(dims).fill(1 / Math.sqrt(dims));
    for (let iter = 0; iter < 500; iter++) {
      const next = new Float64Array(dims);
      for (let i = 0; i < dims; i++) {
        let s = 0;
        for (let j = 0; j < dims; j++) s += moment[i * dims + j]! * v[j]!;
        next[i] = s;
      }
      for (const u of directions) {
        const d = dot(next, u);
        for (let i = 0; i < dims; i++) next[i] = next[i]! - d * u[i]!;
      }
      const norm = Math.sqrt(dot(next, next));
      if (norm === 0) break;
      for (let i = 0; i < dims; i++) next[i] = next[i]! / norm;
      const change = 1 - Math.abs(dot(next, v));
      v = next;
      if (change < 1e-12) break;
    }
    directions.push(v);
  }
  return directions;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Weighted, common-component-free rows for the selected vocabulary. */
export interface EncoderRows {
  readonly words: string[];
  readonly dims: number;
  readonly rows: Float32Array;
}

/** Applies vocabulary selection, SIF weighting and common-component removal. */
export function buildEncoderRows(source: WordVectors, params: EncoderBuildParams): EncoderRows {
  const { dims } = source;
  const probabilities = zipfProbabilities(
    source.words.length,
    params.zipfOffset,
    params.zipfExponent,
  );
  const weights = sifWeights(probabilities, params.sifA);
  const weighted = new Float32Array(source.data.length);
  for (let r = 0; r < source.words.length; r++) {
    let norm = 1;
    if (params.unitWords) {
      let sq = 0;
      for (let i = 0; i < dims; i++) sq += source.data[r * dims + i]! ** 2;
      norm = Math.sqrt(sq) || 1;
    }
    const w = weights[r]! / norm;
    for (let i = 0; i < dims; i++) weighted[r * dims + i] = source.data[r * dims + i]! * w;
  }
  const directions = commonDirections(
    weighted,
    dims,
    probabilities,
    params.commonComponents,
    params.sentenceLength,
  );

  // The most frequent spelling wins when normalisation merges two words.
  const keep: number[] = [];
  const keys: string[] = [];
  const seen = new Set<string>();
  for (let r = 0; r < source.words.length && keep.length < params.vocabLimit; r++) {
    const key = normalizeLikeBert(source.words[r]!);
    if (!isWholeToken(key) || seen.has(key)) continue;
    seen.add(key);
    keep.push(r);
    keys.push(key);
  }
  const rows = new Float32Array(keep.length * dims);
  const row = new Float64Array(dims);
  keep.forEach((r, k) => {
    for (let i = 0; i < dims; i++) row[i] = weighted[r * dims + i]!;
    for (const u of directions) {
      const d = dot(row, u);
      for (let i = 0; i < dims; i++) row[i] = row[i]! - d * u[i]!;
    }
    for (let i = 0; i < dims; i++) rows[k * dims + i] = row[i]!;
  });
  return { words: keys, dims, rows };
}

/** Rows as int8 with one float scale per row: row ≈ q · scale, |error| ≤ scale / 2. */
export interface QuantizedRows {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/** Symmetric per-row int8 quantisation. */
export function quantizeRows(rows: Float32Array, dims: number): QuantizedRows {
  const n = rows.length / dims;
  const values = new Int8Array(rows.length);
  const scales = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let max = 0;
    for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(rows[r * dims + i]!));
    const scale = max > 0 ? max / 127 : 0;
    scales[r] = scale;
    for (let i = 0; i < dims; i++) {
      values[r * dims + i] = scale > 0 ? Math.round(rows[r * dims + i]! / scale) : 0;
    }
  }
  return { values, scales };
}
