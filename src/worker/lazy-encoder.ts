/**
 * An encoder whose identity (id, version, dims) is read from the model manifest at once, while
 * the model itself (tokenizer + ONNX Runtime session) loads only when first needed (an embed
 * call) or when `warm()` asks for it. The catalog can open its stored vectors, and the engine can
 * recommend from them, before the model is up: loading it (about a second of CPU in a browser)
 * does not compete with the first recommendations.
 */
import type { Encoder, EncoderInfo } from '../encoder/types.ts';
import type { WorkerFetch } from './gated-fetch.ts';

/** The loaded model does not match the manifest the vectors were keyed by. */
export class EncoderIdentityError extends Error {
  override readonly name = 'EncoderIdentityError';
}

/** Where the manifest is; `load` starts the real encoder (called at most once). */
export interface ManifestFirstOptions {
  readonly manifestUrl: string;
  readonly load: () => Promise<Encoder>;
  /** Fetches the manifest (the worker passes the privacy gate's download). */
  readonly fetch: WorkerFetch;
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

/** An encoder that can be asked to load its model ahead of the first embed. */
export type WarmableEncoder = Encoder & { warm(): void };

/** Resolves as soon as the manifest names the model; without one, loads and waits for it. */
export async function manifestFirstEncoder(
  options: ManifestFirstOptions,
): Promise<WarmableEncoder> {
  const fetchFn = options.fetch;
  let loading: Promise<Encoder> | null = null;
  const load = () => {
    loading ??= options.load();
    return loading;
  };
  let info: EncoderInfo | null = null;
  try {
    const response = await fetchFn(options.manifestUrl);
    if (response.ok) info = infoFrom(await response.json());
  } catch {
    info = null; // no readable manifest: the real encoder decides
  }
  if (info === null) {
    const encoder = await load();
    return {
      info: encoder.info,
      warm() {},
      embed: (texts) => encoder.embed(texts),
      embedDetailed: (texts) => encoder.embedDetailed(texts),
      dispose: () => encoder.dispose(),
    };
  }
  const known = info;
  let checked: Promise<Encoder> | null = null;
  const model = () => {
    checked ??= load().then((encoder) => {
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
    return checked;
  };
  return {
    info: known,
    warm() {
      model().catch(() => undefined); // a failure surfaces in the next embed
    },
    embed: async (texts) => (await model()).embed(texts),
    embedDetailed: async (texts) => (await model()).embedDetailed(texts),
    dispose: async () => (loading === null ? undefined : (await model()).dispose()),
  };
}
