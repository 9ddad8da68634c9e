/**
 * An encoder whose identity (id, version, dims) is read from the model manifest at once, while
 * the model itself (tokenizer + ONNX Runtime session) loads in the background. The catalog can
 * open its stored vectors, and the engine can recommend from them, before the model is up; only
 * embedding (new catalog text, a prompt) waits for it.
 */
import type { Encoder, EncoderInfo } from '../encoder/types.ts';

/** The loaded model does not match the manifest the vectors were keyed by. */
export class EncoderIdentityError extends Error {
  override readonly name = 'EncoderIdentityError';
}

/** Where the manifest is; `load` is the real encoder, already started. */
export interface ManifestFirstOptions {
  readonly manifestUrl: string;
  readonly load: Promise<Encoder>;
  readonly fetch?: typeof fetch;
}

function infoFrom(json: unknown): EncoderInfo | null {
  const m = json as Partial<Record<keyof EncoderInfo, unknown>>;
  if (typeof m.id !== 'string' || typeof m.version !== 'string' || typeof m.dims !== 'number') {
    return null;
  }
  return {
    id: m.id,
    version: m.version,
    dims: m.dims,
    maxTokens: typeof m.maxTokens === 'number' ? m.maxTokens : 512,
  };
}

/** Resolves as soon as the manifest names the model; falls back to waiting for `load`. */
export async function manifestFirstEncoder(options: ManifestFirstOptions): Promise<Encoder> {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  options.load.catch(() => undefined); // surfaced by every call below
  let info: EncoderInfo | null = null;
  try {
    const response = await fetchFn(options.manifestUrl);
    if (response.ok) info = infoFrom(await response.json());
  } catch {
    info = null; // no readable manifest: the real encoder decides
  }
  if (info === null) return options.load;
  const known = info;
  const model = options.load.then((encoder) => {
    const same =
      encoder.info.id === known.id &&
      encoder.info.version === known.version &&
      encoder.info.dims === known.dims;
    if (!same) {
      throw new EncoderIdentityError(
        `${options.manifestUrl} names ${known.id}@${known.version} (${known.dims}-d) but the loaded model is ${encoder.info.id}@${encoder.info.version} (${encoder.info.dims}-d); redeploy the model directory as one unit.`,
      );
    }
    return encoder;
  });
  return {
    info: known,
    embed: async (texts) => (await model).embed(texts),
    embedDetailed: async (texts) => (await model).embedDetailed(texts),
    dispose: async () => (await model).dispose(),
  };
}
