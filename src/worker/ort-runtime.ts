/**
 * ONNX Runtime Web's two files, fetched through the privacy gate. Left to itself, ORT fetches its
 * `.wasm` and `import()`s its `.mjs` glue from `wasmPaths`, outside the gate and the ledger. Here
 * the worker downloads both through its gated fetch (each a ledger row), hands ORT the binary as
 * `env.wasm.wasmBinary` and the glue as a `blob:` URL of the downloaded text: ORT then makes no
 * request of its own. The encoder (transformers.js) and the ranker share this one ORT instance
 * (vite.config.ts resolves both to one build) and wait for `prepare()` before their first session.
 */
import * as ort from 'onnxruntime-web';
import type { WorkerFetch } from './gated-fetch.ts';

/**
 * The files of the WASM-only ORT build the page uses (see `ORT_SHIPPED` in vite.config.ts):
 * single-threaded, so no pthread worker ever loads the glue again from its URL.
 */
export const ORT_FILES = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  mjs: 'ort-wasm-simd-threaded.mjs',
} as const;

/**
 * ORT's files once prepared: the `.wasm` URL (for its name), the glue's `blob:` URL, and the
 * binary. The encoder passes them on to transformers.js's ORT settings too: in the dev server
 * transformers.js is pre-bundled with an ORT instance of its own, which would otherwise fetch the
 * `.wasm` itself, outside the gate.
 */
export interface OrtFiles {
  readonly wasmPaths: { readonly wasm: string; readonly mjs: string };
  readonly wasmBinary: Uint8Array;
}

/** The ORT files answered an error, so ONNX Runtime cannot start. */
export class OrtRuntimeError extends Error {
  override readonly name = 'OrtRuntimeError';
}

async function download(fetchFn: WorkerFetch, url: string): Promise<Response> {
  const response = await fetchFn(url);
  if (!response.ok) {
    throw new OrtRuntimeError(
      `GET ${url} answered HTTP ${response.status}; serve ONNX Runtime's ${ORT_FILES.wasm} and ${ORT_FILES.mjs} under the wasm URL (default /ort/).`,
    );
  }
  return response;
}

/**
 * Returns `prepare()`: on its first call it downloads ORT's files from `base` through `fetch`
 * and configures ORT to use them (one thread); later calls share that one download.
 */
export function gatedOrtRuntime(options: {
  /** Absolute URL of the folder holding ORT's files (the page's `wasm`, default `/ort/`). */
  readonly base: string;
  readonly fetch: WorkerFetch;
}): () => Promise<OrtFiles> {
  let prepared: Promise<OrtFiles> | null = null;
  const run = async (): Promise<OrtFiles> => {
    const wasmUrl = new URL(ORT_FILES.wasm, options.base).href;
    const mjsUrl = new URL(ORT_FILES.mjs, options.base).href;
    const [wasm, glue] = await Promise.all([
      download(options.fetch, wasmUrl).then((r) => r.arrayBuffer()),
      download(options.fetch, mjsUrl).then((r) => r.text()),
    ]);
    const files: OrtFiles = {
      wasmPaths: {
        wasm: wasmUrl,
        mjs: URL.createObjectURL(new Blob([glue], { type: 'text/javascript' })),
      },
      wasmBinary: new Uint8Array(wasm),
    };
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmBinary = files.wasmBinary;
    ort.env.wasm.wasmPaths = files.wasmPaths;
    return files;
  };
  return () => {
    prepared ??= run();
    return prepared;
  };
}
