/**
 * The engine worker's configuration: what the page passes in the worker URL's query (`db`,
 * `model`, `models`, `wasm`, `server`, `helper`; see `workerUrl` in `src/widget/worker-client.ts`).
 */
import { DEFAULT_MODEL } from '../encoder/index.ts';

/** Where the worker finds its models and runtime, and where (with consent) it may send. */
export interface EngineWorkerConfig {
  /** IndexedDB database name (default `hearth`). */
  readonly dbName?: string;
  /** Encoder model name under `modelsUrl` (default `hearth-encoder-v1`). */
  readonly model: string;
  /** Model directory URL as the page gave it (default `../models/` from the worker's URL). */
  readonly modelsUrl?: string;
  /** The worker's own URL: relative URLs resolve against it. */
  readonly baseUrl: string;
  /** URL of ONNX Runtime's `.wasm`/`.mjs` files (default `../ort/` from the worker's URL). */
  readonly wasmPaths?: string;
  /** Thin-server base URL; without it nothing is ever sent. */
  readonly server?: string;
  /**
   * DAP helper URL: with `server`, contributions are secure-aggregation reports to the server's
   * leader and this helper; without it, LDP reports to the server alone.
   */
  readonly helper?: string;
}

/** Reads the configuration from the worker's own URL (`self.location.href`). */
export function workerConfigFromUrl(href: string): EngineWorkerConfig {
  const params = new URL(href).searchParams;
  const opt = (name: string) => params.get(name) ?? undefined;
  const dbName = opt('db');
  const wasmPaths = opt('wasm');
  const server = opt('server');
  const helper = opt('helper');
  const modelsUrl = opt('models');
  return {
    model: opt('model') ?? DEFAULT_MODEL,
    baseUrl: href,
    ...(modelsUrl !== undefined ? { modelsUrl } : {}),
    ...(dbName !== undefined ? { dbName } : {}),
    ...(wasmPaths !== undefined ? { wasmPaths } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(helper !== undefined ? { helper } : {}),
  };
}
