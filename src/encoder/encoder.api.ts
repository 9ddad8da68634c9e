import { transfer } from 'comlink';
import { createEncoder, type EncoderOptions } from './encoder.ts';
import type { EmbeddingBatch, Encoder, EncoderInfo } from './types.ts';

/** Options that can cross a worker boundary (no injected functions). */
export type EncoderWorkerOptions = Omit<EncoderOptions, 'files'>;

/** A batch of vectors packed into one transferable buffer (count × dims float32). */
export interface PackedEmbeddings {
  readonly buffer: ArrayBuffer;
  readonly dims: number;
  readonly empty: boolean[];
  readonly truncated: boolean[];
}

/** What the encoder worker exposes over comlink. */
export interface EncoderWorkerApi {
  /** Loads the model once; concurrent and repeated calls share the same load. */
  load(options?: EncoderWorkerOptions): Promise<EncoderInfo>;
  /** Embeds texts; the vectors come back in one transferred buffer. */
  embed(texts: string[]): Promise<PackedEmbeddings>;
}

/** Packs vectors into one contiguous buffer. */
export function packEmbeddings(batch: EmbeddingBatch, dims: number): PackedEmbeddings {
  const flat = new Float32Array(batch.vectors.length * dims);
  batch.vectors.forEach((v, i) => {
    flat.set(v, i * dims);
  });
  return { buffer: flat.buffer, dims, empty: batch.empty, truncated: batch.truncated };
}

/** Splits a packed buffer back into per-text vectors (views, no copy). */
export function unpackEmbeddings(packed: PackedEmbeddings): EmbeddingBatch {
  const count = packed.empty.length;
  const vectors = Array.from(
    { length: count },
    (_, i) => new Float32Array(packed.buffer, i * packed.dims * 4, packed.dims),
  );
  return { vectors, empty: packed.empty, truncated: packed.truncated };
}

/** The worker-side implementation; `factory` is injectable for tests. */
export function createEncoderWorkerApi(
  factory: (options: EncoderOptions) => Promise<Encoder> = createEncoder,
): EncoderWorkerApi {
  let loading: Promise<Encoder> | null = null;
  const encoder = (options?: EncoderWorkerOptions) => {
    loading ??= factory(options ?? {}).catch((error: unknown) => {
      loading = null; // a failed load can be retried after the fix
      throw error;
    });
    return loading;
  };
  return {
    async load(options) {
      return (await encoder(options)).info;
    },
    async embed(texts) {
      const e = await encoder();
      const packed = packEmbeddings(await e.embedDetailed(texts), e.info.dims);
      return transfer(packed, [packed.buffer]);
    },
  };
}

/** A main-thread `Encoder` backed by a remote `EncoderWorkerApi` (e.g. `wrap(new Worker(...))`). */
export async function remoteEncoder(
  api: { load: EncoderWorkerApi['load']; embed: EncoderWorkerApi['embed'] },
  options?: EncoderWorkerOptions,
): Promise<Encoder> {
  const info = await api.load(options);
  const embedDetailed = async (texts: readonly string[]) =>
    unpackEmbeddings(await api.embed([...texts]));
  return {
    info,
    embedDetailed,
    embed: async (texts) => (await embedDetailed(texts)).vectors,
    dispose: async () => {},
  };
}
