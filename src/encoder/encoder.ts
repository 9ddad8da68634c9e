import {
  AutoModel,
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import {
  browserModelFix,
  ENCODER_MESSAGES,
  EncoderInputError,
  EncoderModelError,
} from './errors.ts';
import type { EncoderFetch, VerifiedFileCache } from './files-http.ts';
import { type ModelFiles, readManifest, verifyModelFiles } from './manifest.ts';
import { meanPoolNormalize } from './pooling.ts';
import { prepareText } from './text.ts';
import type { EmbeddingBatch, Encoder, EncoderInfo } from './types.ts';

/** The model `createEncoder()` loads when none is named. */
export const DEFAULT_MODEL = 'hearth-encoder-v1';

/** How to find and run the encoder. Every field has a default. */
export interface EncoderOptions {
  /** A model name under `modelsPath`, or (Node) a path to a model directory. */
  readonly model?: string;
  /** Node: a directory of models (default: this package's `models/`); browser: a URL path (default `/models/`). */
  readonly modelsPath?: string;
  /** Weights to load: `q8` → `onnx/model_quantized.onnx`, `fp32` → `onnx/model.onnx`. Default: the manifest's, else q8 when present. */
  readonly dtype?: 'q8' | 'fp32';
  /** Check every file against the manifest's sha256 before loading (default true; skipped when there is no manifest). */
  readonly verify?: boolean;
  /** ONNX Runtime intra-op threads in Node (default 1). */
  readonly threads?: number;
  /** Texts per model call (default 64). */
  readonly batchSize?: number;
  /** Browser: where ONNX Runtime's .wasm/.mjs files are served (default `/ort/`, our own origin). */
  readonly wasmPaths?: string;
  /**
   * Browser: ONNX Runtime's files already downloaded (the engine worker downloads them through the
   * privacy gate, src/worker/ort-runtime.ts): with them ORT makes no request of its own.
   */
  readonly ortFiles?: {
    readonly wasmPaths: { readonly wasm: string; readonly mjs: string };
    readonly wasmBinary: Uint8Array;
  };
  /** Reads model files; defaults to the file system in Node and `fetch` over HTTP in the browser. */
  readonly files?: ModelFiles & { exists(path: string): Promise<boolean> };
  /**
   * Browser: the fetch for every model file request, ours and transformers.js's own (the engine
   * worker passes the privacy gate's download, so each request is a ledger row). Required in a
   * browser unless `files` is given; Node reads the file system.
   */
  readonly fetch?: EncoderFetch;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Where transformers.js finds a model: a base path, the model's name under it, and its files. */
export interface ModelLocation {
  readonly base: string;
  readonly name: string;
  readonly files: ModelFiles & { exists(path: string): Promise<boolean> };
  /** Browser: serves the files already read and verified to transformers.js. */
  readonly cache?: VerifiedFileCache;
}

/** Node-only module, imported by a specifier bundlers leave alone (browsers never take this path). */
const NODE_LOCATOR = './files-node.ts';

async function locate(options: EncoderOptions): Promise<ModelLocation> {
  const model = options.model ?? DEFAULT_MODEL;
  if (isNode) {
    const { locateNodeModel } = (await import(
      /* @vite-ignore */ NODE_LOCATOR
    )) as typeof import('./files-node.ts');
    return locateNodeModel(model, options.modelsPath, options.files);
  }
  const base = options.modelsPath ?? '/models/';
  if (options.files !== undefined) return { base, name: model, files: options.files };
  if (options.fetch === undefined) {
    throw new EncoderModelError(
      ENCODER_MESSAGES.loadFailed(
        model,
        "in a browser createEncoder() needs { fetch } (the engine worker passes the privacy gate's download) or { files }",
        'Pass one of them.',
      ),
    );
  }
  const { httpModelFiles } = await import('./files-http.ts');
  const absoluteBase = new URL(base, globalThis.location?.href).href;
  // A page has no command line: messages say where the files should be served instead.
  const files = httpModelFiles(
    `${absoluteBase}${model}/`,
    options.fetch,
    browserModelFix(absoluteBase),
  );
  return { base, name: model, files, cache: files.cache };
}

/**
 * transformers.js keeps its settings in a global; set them in one place, local files only. In a
 * browser its own requests go through `fetch` (the gate) and the files we verified are served
 * from `cache`, so it fetches none of them again; its own Cache Storage and ORT file cache are
 * off (the worker hands ORT its files, see src/worker/ort-runtime.ts).
 */
function configureTransformers(
  localModelPath: string,
  options: EncoderOptions,
  cache: VerifiedFileCache | undefined,
): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = localModelPath;
  env.useFSCache = false;
  if (!isNode) {
    env.useBrowserCache = false;
    env.useWasmCache = false;
    if (options.fetch !== undefined) env.fetch = options.fetch;
    env.useCustomCache = cache !== undefined;
    env.customCache = cache ?? null;
    const wasm = env.backends.onnx.wasm;
    if (wasm !== undefined) {
      wasm.numThreads = 1;
      wasm.wasmPaths = options.ortFiles?.wasmPaths ?? options.wasmPaths ?? '/ort/';
      if (options.ortFiles !== undefined) wasm.wasmBinary = options.ortFiles.wasmBinary;
    }
  }
}

/** Loads an encoder: verifies its files, then its tokenizer and ONNX model through transformers.js. */
export async function createEncoder(options: EncoderOptions = {}): Promise<Encoder> {
  const where = await locate(options);
  const manifest = await readManifest(where.files);
  // Verified first: over HTTP the bytes read here then answer the existence checks below.
  if (manifest !== null && options.verify !== false) await verifyModelFiles(manifest, where.files);
  for (const required of ['config.json', 'tokenizer.json']) {
    if (!(await where.files.exists(required))) {
      throw new EncoderModelError(
        ENCODER_MESSAGES.missingFile(required, where.files.location, where.files.fix),
        required,
      );
    }
  }
  const dtype =
    options.dtype ??
    manifest?.dtype ??
    ((await where.files.exists('onnx/model_quantized.onnx')) ? 'q8' : 'fp32');
  const weightsFile = dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
  if (!(await where.files.exists(weightsFile))) {
    throw new EncoderModelError(
      ENCODER_MESSAGES.missingFile(weightsFile, where.files.location, where.files.fix),
      weightsFile,
    );
  }

  configureTransformers(where.base, options, where.cache);
  const threads = options.threads ?? 1;
  let tokenizer: PreTrainedTokenizer;
  let model: Awaited<ReturnType<typeof AutoModel.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(where.name);
    model = await AutoModel.from_pretrained(where.name, {
      dtype,
      ...(isNode ? { session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}),
    });
  } catch (error) {
    throw new EncoderModelError(
      ENCODER_MESSAGES.loadFailed(where.name, String(error), where.files.fix),
    );
  }

  const config = model.config as unknown as { hidden_size?: number; dim?: number };
  const dims = config.hidden_size ?? config.dim ?? manifest?.dims;
  if (dims === undefined)
    throw new EncoderModelError(
      ENCODER_MESSAGES.loadFailed(where.name, 'config.json has no hidden_size', where.files.fix),
    );
  const maxTokens = Math.min(manifest?.maxTokens ?? 512, tokenizer.model_max_length ?? 512);
  const info: EncoderInfo = {
    id: manifest?.id ?? where.name,
    version: manifest?.version ?? where.name,
    dims,
    maxTokens,
  };
  const batchSize = options.batchSize ?? 64;
  // Tokens that carry no word: a text made only of these embeds to the zero vector.
  const wordless = new Set<number>(tokenizer.all_special_ids);
  const sepId = tokenizer.sep_token_id ?? tokenizer.eos_token_id;

  const embedBatch = async (texts: readonly string[]): Promise<EmbeddingBatch> => {
    const ids: number[][] = [];
    const truncated: boolean[] = [];
    const empty: boolean[] = [];
    for (const raw of texts) {
      const { text, cut } = prepareText(raw, maxTokens);
      let tokens = tokenizer.encode(text);
      const over = tokens.length > maxTokens;
      if (over)
        tokens = [...tokens.slice(0, maxTokens - 1), ...(sepId === undefined ? [] : [sepId])];
      ids.push(tokens);
      truncated.push(over || (cut && tokens.length >= maxTokens));
      empty.push(tokens.every((id) => wordless.has(id)));
    }
    const seq = Math.max(1, ...ids.map((t) => t.length));
    const inputIds = new BigInt64Array(texts.length * seq).fill(
      BigInt(tokenizer.pad_token_id ?? 0),
    );
    const mask = new BigInt64Array(texts.length * seq);
    const maskBytes = new Uint8Array(texts.length * seq);
    ids.forEach((tokens, b) => {
      tokens.forEach((id, t) => {
        inputIds[b * seq + t] = BigInt(id);
        mask[b * seq + t] = 1n;
        maskBytes[b * seq + t] = 1;
      });
    });
    const output = (await model({
      input_ids: new Tensor('int64', inputIds, [texts.length, seq]),
      attention_mask: new Tensor('int64', mask, [texts.length, seq]),
    })) as { last_hidden_state: Tensor };
    const hidden = output.last_hidden_state.data as Float32Array;
    const vectors = meanPoolNormalize(hidden, maskBytes, texts.length, seq, dims);
    empty.forEach((isEmpty, i) => {
      if (isEmpty) vectors[i]!.fill(0);
    });
    return { vectors, empty, truncated };
  };

  const embedDetailed = async (texts: readonly string[]): Promise<EmbeddingBatch> => {
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new EncoderInputError(ENCODER_MESSAGES.notText(i, typeof t));
    });
    const result: { vectors: Float32Array[]; empty: boolean[]; truncated: boolean[] } = {
      vectors: [],
      empty: [],
      truncated: [],
    };
    for (let start = 0; start < texts.length; start += batchSize) {
      const part = await embedBatch(texts.slice(start, start + batchSize));
      result.vectors.push(...part.vectors);
      result.empty.push(...part.empty);
      result.truncated.push(...part.truncated);
    }
    return result;
  };

  return {
    info,
    embedDetailed,
    embed: async (texts) => (await embedDetailed(texts)).vectors,
    dispose: async () => {
      await model.dispose();
    },
  };
}
