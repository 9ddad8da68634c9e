/**
 * Loads the ranker (`<models>/ranker/`) over HTTP in the worker, checking the ONNX bytes' sha256.
 * ONNX Runtime takes about a second to start in a browser; until its session is ready the ranker
 * scores with the same weights in TypeScript (the manifest repeats them; same linear model), so
 * the first recommendations do not wait for the runtime. A runtime failure is reported by the
 * next `score` call.
 */
import * as ort from 'onnxruntime-web';
import { sha256Hex } from '../encoder/manifest.ts';
import {
  assertRankerManifest,
  linearScores,
  type Ranker,
  RankerError,
  type RankerManifest,
} from './ranker.ts';
import { createOnnxRanker } from './ranker-onnx.ts';

/** Where the ranker lives and how to fetch it. */
export interface RankerFetchOptions {
  /** Base URL of the model directory (default `/models/`); the ranker is in `ranker/`. */
  readonly modelsUrl?: string;
  /** Browser: where ONNX Runtime's .wasm/.mjs files are served (default `/ort/`). */
  readonly wasmPaths?: string;
  readonly fetch?: typeof fetch;
}

async function get(url: string, fetchFn: typeof fetch): Promise<Response> {
  const response = await fetchFn(url);
  if (!response.ok) {
    throw new RankerError(
      `GET ${url} answered HTTP ${response.status}; serve the repository's models/ranker/ under the models URL.`,
    );
  }
  return response;
}

/**
 * Fetches the manifest and ONNX graph, verifies the graph, and returns the ranker; `onnxReady`
 * settles once the ONNX session has started (or failed; the failure surfaces in `score`).
 */
export async function fetchRanker(
  options: RankerFetchOptions = {},
): Promise<Ranker & { readonly onnxReady: Promise<void> }> {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = new URL(
    'ranker/',
    new URL(options.modelsUrl ?? '/models/', globalThis.location?.href),
  );
  const manifestUrl = new URL('manifest.json', base).href;
  const manifest = (await (await get(manifestUrl, fetchFn)).json()) as RankerManifest;
  const onnxUrl = new URL(manifest.onnx, base).href;
  const bytes = new Uint8Array(await (await get(onnxUrl, fetchFn)).arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== manifest.sha256) {
    throw new RankerError(
      `${onnxUrl} has sha256 ${actual} but ${manifestUrl} says ${manifest.sha256}; the files are damaged or from different builds — redeploy models/ranker/.`,
    );
  }
  if (typeof document !== 'undefined' || typeof importScripts === 'function') {
    ort.env.wasm.wasmPaths = options.wasmPaths ?? '/ort/';
  }
  assertRankerManifest(manifest);
  let onnx: Ranker | null = null;
  let failure: unknown = null;
  const onnxReady = createOnnxRanker(bytes, manifest).then(
    (ranker) => {
      onnx = ranker;
    },
    (error: unknown) => {
      failure = error;
    },
  );
  const weights = Float32Array.from(manifest.weights);
  return {
    onnxReady,
    version: manifest.version,
    weights,
    bias: manifest.bias,
    async score(features, count) {
      if (failure !== null) throw failure;
      const ready: Ranker | null = onnx;
      return ready === null
        ? linearScores(weights, manifest.bias, features, count)
        : ready.score(features, count);
    },
  };
}
