/**
 * The preparation engine in a worker thread, so that Prio3's BigInt arithmetic (~140 ms per
 * report per aggregator at 10,000 entries) never blocks the HTTP loop: one worker per aggregator,
 * calls answered in order of completion. The worker loads the TypeScript sources through tsx
 * (the CLI runs on tsx already; a worker does not inherit its loader, so it registers its own).
 */
import { Worker } from 'node:worker_threads';
import { HelperResponseError, type PrepEngine, PrepStateLostError } from './prep-core.ts';

type Method = Exclude<keyof PrepEngine, 'close'>;

interface Reply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/** The worker stopped (crashed or closed) with calls outstanding. */
export class PrepWorkerError extends Error {
  override readonly name = 'PrepWorkerError';
}

function rebuild(error: { name: string; message: string }): Error {
  if (error.name === 'PrepStateLostError') return new PrepStateLostError(error.message);
  if (error.name === 'HelperResponseError') return new HelperResponseError(error.message);
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}

/**
 * Where tsx's ESM API is: resolved from here when the runtime can (so the CLI works from any
 * directory), else the bare name, resolved from the working directory (vitest's module runner has
 * no import.meta.resolve).
 */
function tsxApiUrl(): string {
  try {
    const resolved: unknown = import.meta.resolve?.('tsx/esm/api');
    if (typeof resolved === 'string') return resolved;
  } catch {
    // Not resolvable from here: fall back to the working directory.
  }
  return 'tsx/esm/api';
}

/** The code a worker evaluates: register tsx, then import the worker module. */
function bootCode(): string {
  const tsx = tsxApiUrl();
  const entry = new URL('./prep-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
}

/** Starts a preparation worker thread; `close()` ends it. */
export function createPrepWorker(): PrepEngine {
  const worker = new Worker(bootCode(), { eval: true });
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  let closed = false;
  const failAll = (error: Error) => {
    for (const c of calls.values()) c.reject(error);
    calls.clear();
  };
  worker.on('message', (reply: Reply) => {
    const call = calls.get(reply.id);
    if (call === undefined) return;
    calls.delete(reply.id);
    if (calls.size === 0) worker.unref();
    if (reply.error !== undefined) call.reject(rebuild(reply.error));
    else call.resolve(reply.value);
  });
  worker.on('error', (error: Error) =>
    failAll(new PrepWorkerError(`prep worker failed: ${error.message}`)),
  );
  worker.on('exit', (code) => {
    closed = true;
    failAll(new PrepWorkerError(`prep worker exited (code ${code}) with calls outstanding`));
  });
  // An idle worker must not keep a finished process alive; one with calls in flight must.
  worker.unref();

  const call = <T>(method: Method, args: unknown[]): Promise<T> => {
    if (closed) return Promise.reject(new PrepWorkerError('prep worker is closed'));
    const id = next++;
    if (calls.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });
  };

  return {
    leaderInit: (...args) => call('leaderInit', args),
    leaderFinish: (...args) => call('leaderFinish', args),
    helperPrepare: (...args) => call('helperPrepare', args),
    addNoise: (...args) => call('addNoise', args),
    async close() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
