/**
 * Turns GloVe-style word vectors into the rows of the `hearth-encoder-v1` model.
 *
 * Sentence embedding by smooth inverse frequency (Arora, Liang & Ma, "A Simple but Tough-to-Beat
 * Baseline for Sentence Embeddings", ICLR 2017): v_s = mean_w a/(a + p(w)) · v_w, then the common
 * components u_k of a reference corpus's sentence vectors are projected out, v_s − Σ u_k u_kᵀ v_s
 * (five components, as in Ethayarajh's uSIF, "Unsupervised Random Walk Sentence Embeddings",
 * RepL4NLP 2018). Both steps are linear, so they are applied to each word row once here and mean
 * pooling the stored rows gives the embedding directly.
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
  /** How many common components of the reference corpus to remove. */
  readonly commonComponents: number;
}

export const DEFAULT_BUILD_PARAMS: EncoderBuildParams = {
  vocabLimit: 60_000,
  sifA: 1e-3,
  zipfOffset: 2.7,
  zipfExponent: 1,
  unitWords: true,
  commonComponents: 5,
};

/** Lowercases and strips accents the way the BERT normalizer does, so vocabulary keys match. */
export function normalizeLikeBert(word: string): string {
  return word
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
}

/** Splits text roughly as BERT's normalizer and pre-tokenizer do: word runs and single punctuation marks. */
export function roughTokens(text: string): string[] {
  return normalizeLikeBert(text).match(/[\p{L}\p{N}]+|[\p{P}\p{S}]/gu) ?? [];
}

/** Tokens the BERT pre-tokenizer can produce whole: letters/digits only, or one punctuation mark. */
export function isWholeToken(word: string): boolean {
  return /^[\p{L}\p{N}]+$/u.test(word) || /^[\p{P}\p{S}]$/u.test(word);
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

/**
 * Top principal directions (uncentred, as SIF's truncated SVD) of a set of vectors, by power
 * iteration with deflation on the dims × dims second-moment matrix.
 */
export function principalDirections(
  vectors: Float32Array,
  dims: number,
  count: number,
): Float64Array[] {
  const moment = new Float64Array(dims * dims);
  const n = vectors.length / dims;
  for (let r = 0; r < n; r++) {
    const base = r * dims;
    for (let i = 0; i < dims; i++) {
      const xi = vectors[base + i]!;
      if (xi === 0) continue;
      for (let j = 0; j < dims; j++)
        moment[i * dims + j] = moment[i * dims + j]! + xi * vectors[base + j]!;
    }
  }
  const directions: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    let v = new Float64Array(dims).map(
      (_, i) => 1 / Math.sqrt(dims) + (i % 2 === 0 ? 1e-3 : -1e-3),
    );
    for (let iter = 0; iter < 1000; iter++) {
      const next = new Float64Array(dims);
      for (let i = 0; i < dims; i++) {
        let s = 0;
        for (let j = 0; j < dims; j++) s += moment[i * dims + j]! * v[j]!;
        next[i] = s;
      }
      for (const u of directions) subtractProjection(next, u);
      const norm = Math.sqrt(dot(next, next));
      if (norm === 0) break;
      for (let i = 0; i < dims; i++) next[i] = next[i]! / norm;
      const change = 1 - Math.abs(dot(next, v));
      v = next;
      if (change < 1e-13) break;
    }
    directions.push(v);
  }
  return directions;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function subtractProjection(v: Float64Array, u: Float64Array): void {
  const d = dot(v, u);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! - d * u[i]!;
}

/** Weighted, common-component-free rows for the selected vocabulary. */
export interface EncoderRows {
  readonly words: string[];
  readonly dims: number;
  readonly rows: Float32Array;
}

/**
 * Selects the vocabulary, applies SIF weights, and projects out the common components of the
 * reference corpus's (mean-pooled) sentence vectors.
 */
export function buildEncoderRows(
  source: WordVectors,
  corpus: readonly string[],
  params: EncoderBuildParams,
): EncoderRows {
  const { dims } = source;
  const probabilities = zipfProbabilities(
    source.words.length,
    params.zipfOffset,
    params.zipfExponent,
  );

  // The most frequent spelling wins when normalisation merges two words.
  const words: string[] = [];
  const index = new Map<string, number>();
  const rows = new Float32Array(params.vocabLimit * dims);
  for (let r = 0; r < source.words.length && words.length < params.vocabLimit; r++) {
    const key = normalizeLikeBert(source.words[r]!);
    if (!isWholeToken(key) || index.has(key)) continue;
    const k = words.length;
    index.set(key, k);
    words.push(key);
    const base = r * dims;
    let norm = 1;
    if (params.unitWords)
      norm =
        Math.sqrt(
          dot(source.data.subarray(base, base + dims), source.data.subarray(base, base + dims)),
        ) || 1;
    const weight = params.sifA / (params.sifA + probabilities[r]!) / norm;
    for (let i = 0; i < dims; i++) rows[k * dims + i] = source.data[base + i]! * weight;
  }
  const used = rows.subarray(0, words.length * dims);

  const sentences = new Float32Array(corpus.length * dims);
  corpus.forEach((text, s) => {
    let count = 0;
    for (const token of roughTokens(text)) {
      const k = index.get(token);
      if (k === undefined) continue;
      count++;
      for (let i = 0; i < dims; i++)
        sentences[s * dims + i] = sentences[s * dims + i]! + used[k * dims + i]!;
    }
    if (count > 0)
      for (let i = 0; i < dims; i++) sentences[s * dims + i] = sentences[s * dims + i]! / count;
  });
  const directions = principalDirections(sentences, dims, params.commonComponents);

  const row = new Float64Array(dims);
  for (let k = 0; k < words.length; k++) {
    for (let i = 0; i < dims; i++) row[i] = used[k * dims + i]!;
    for (const u of directions) subtractProjection(row, u);
    for (let i = 0; i < dims; i++) used[k * dims + i] = row[i]!;
  }
  return { words, dims, rows: used.slice() };
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
