/** What an encoder is: the identity that keys cached vectors, and its shape. */
export interface EncoderInfo {
  /** Model id, e.g. `hearth-encoder-v1` or a directory name. */
  readonly id: string;
  /** Version string from the model manifest; vectors are keyed by it (representation drift). */
  readonly version: string;
  /** Output dimensionality. */
  readonly dims: number;
  /** Longest input in tokens; longer texts are truncated. */
  readonly maxTokens: number;
}

/** Vectors for a batch of texts plus what happened to each text. */
export interface EmbeddingBatch {
  /** L2-normalised, mean-pooled vectors; an all-zero vector where `empty[i]` is true. */
  readonly vectors: Float32Array[];
  /** True where the text had no token the model knows (the vector is zero, never NaN). */
  readonly empty: boolean[];
  /** True where the text was cut to `maxTokens`. */
  readonly truncated: boolean[];
}

/** A text encoder; implemented in Node and in the browser by the same code. */
export interface Encoder {
  readonly info: EncoderInfo;
  /** Embeds texts in order; empty texts give zero vectors. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Embeds texts and reports empty and truncated inputs. */
  embedDetailed(texts: readonly string[]): Promise<EmbeddingBatch>;
  /** Releases the model session. */
  dispose(): Promise<void>;
}
