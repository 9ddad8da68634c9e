import type { Encoder, EncoderInfo } from '../src/encoder/types.ts';

/**
 * A tiny deterministic encoder for unit tests: hashed bag of lowercased words, L2-normalised.
 * Texts sharing words get positive cosine; texts with no word give a zero vector and `empty`.
 */
export function createFakeEncoder(dims = 64, version = 'fake-v1'): Encoder {
  const info: EncoderInfo = { id: 'fake-encoder', version, dims, maxTokens: 512 };
  const embedOne = (text: string): { vector: Float32Array; empty: boolean; truncated: boolean } => {
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const vector = new Float32Array(dims);
    for (const word of words.slice(0, info.maxTokens)) {
      let h = 2166136261;
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
      const slot = (h >>> 0) % dims;
      vector[slot] = (vector[slot] ?? 0) + ((h >>> 31) & 1 ? 1 : -1);
    }
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < dims; i++) vector[i] = (vector[i] ?? 0) / norm;
    return { vector, empty: norm === 0, truncated: words.length > info.maxTokens };
  };
  const embedDetailed = async (texts: readonly string[]) => {
    const out = texts.map(embedOne);
    return {
      vectors: out.map((o) => o.vector),
      empty: out.map((o) => o.empty),
      truncated: out.map((o) => o.truncated),
    };
  };
  return {
    info,
    embedDetailed,
    embed: async (texts) => (await embedDetailed(texts)).vectors,
    dispose: async () => {},
  };
}
