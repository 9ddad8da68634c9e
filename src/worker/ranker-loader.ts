/**
 * Loads the ranker (`<models>/ranker/`) over HTTP in the worker, checking the ONNX bytes' sha256.
 * ONNX Runtime takes about a second of CPU to start in a browser; the session is created only
 * when `startOnnx()` is called (the worker does so after the first recommendations) and until it
 * is ready the ranker scores with the same weights in TypeScript (the manifest repeats them; same
 * linear model), so the first recommendations neither wait for nor compete with the runtime. A
 * runtime failure is reported by the next `score` call. Every file comes through the injected
 * fetch (in the worker: the privacy gate's download, one ledger row each).
 */
import * as ort from 'onnxruntime-web';
import { linearScores, type Ranker } from '../engine/ranker.ts';
import { parseRankerManifest, RankerError } from '../models/ranker-manifest.ts';
import { createOnnxRanker } from '../models/ranker-onnx.ts';
import { sha256Hex } from '../shared/hash.ts';
import type { WorkerFetch } from './gated-fetch.ts';

/** Where the ranker lives and how to fetch it. */
export interface RankerFetchOptions {
  /** Base URL of the model directory (default `/models/`); the ranker is in `ranker/`. */
  readonly modelsUrl?: string;
  /** Fetches the ranker's files (the worker passes the privacy gate's download). */
  readonly fetch: WorkerFetch;
  /**
   * Browser: makes ONNX Runtime ready to start (downloads its files through the gate, see
   * ort-runtime.ts); awaited before the session is created. Node needs none.
   */
  readonly runtime?: () => Promise<unknown>;
}

async function get(url: string, fetchFn: WorkerFetch): Promise<Response> {
  const response = await fetchFn(url);
  if (!response.ok) {
    throw new RankerError(
      `GET ${url} answered HTTP ${response.status}; serve the build's models/ranker/ folder under the models URL (the element's models attribute, Hearth.init({ models })).`,
    );
  }
  return response;
}

/** A ranker whose ONNX session starts on request. */
export type DeferredOnnxRanker = Ranker & {
  /** Starts the ONNX session (once); settles when it is ready or has failed. */
  startOnnx(): Promise<void>;
};

/** Fetches the manifest and ONNX graph, verifies the graph, and returns the ranker. */
export async function fetchRanker(options: RankerFetchOptions): Promise<DeferredOnnxRanker> {
  const fetchFn = options.fetch;
  const base = new URL(
    'ranker/',
    new URL(options.modelsUrl ?? '/models/', globalThis.location?.href),
  );
  const manifestUrl = new URL('manifest.json', base).href;
  const manifest = parseRankerManifest(
    await (await get(manifestUrl, fetchFn)).json(),
    manifestUrl,
    'redeploy the models/ranker/ folder of the build under the models URL',
  );
  const onnxUrl = new URL(manifest.onnx, base).href;
  const bytes = new Uint8Array(await (await get(onnxUrl, fetchFn)).arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== manifest.sha256) {
    throw new RankerError(
      `${onnxUrl} has sha256 ${actual} but ${manifestUrl} says ${manifest.sha256}; the files are damaged or from different builds — redeploy models/ranker/.`,
    );
  }
  // One thread; in a browser ort-runtime.ts also hands ORT its files (never a CDN, never unrecorded).
  ort.env.wasm.numThreads = 1;
  let onnx: Ranker | null = null;
  let failure: unknown = null;
  let starting: Promise<void> | null = null;
  const startOnnx = () => {
    starting ??= Promise.resolve(options.runtime?.())
      .then(() => createOnnxRanker(bytes, manifest))
      .then(
        (ranker) => {
          onnx = ranker;
        },
        (error: unknown) => {
          failure = error;
        },
      );
    return starting;
  };
  const weights = Float32Array.from(manifest.weights);
  return {
    startOnnx,
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
