/**
 * Worker-thread entry of the preparation engine: runs ./prep-core.ts (crypto noise) on messages
 * `{ id, method, args }` from ./prep-engine.ts, one at a time, and answers `{ id, value }` or
 * `{ id, error }`.
 * Started by `createPrepWorker`, never imported by the app.
 */
import { parentPort } from 'node:worker_threads';
import { createPrepCore, type PrepEngine } from './prep-core.ts';

type Method = Exclude<keyof PrepEngine, 'close'>;

interface Call {
  readonly id: number;
  readonly method: Method;
  readonly args: unknown[];
}

const core = createPrepCore();
const port = parentPort;
if (port === null) throw new Error('prep-worker.ts runs only as a worker thread');

// Calls run one after another, in arrival order: interleaving two jobs' awaits would finish both
// late, while in order the first job's request reaches the helper as early as possible and the
// helper works on it while this thread prepares the next one.
let queue: Promise<void> = Promise.resolve();

port.on('message', (call: Call) => {
  const method = core[call.method] as (...args: unknown[]) => Promise<unknown>;
  queue = queue.then(() =>
    method.apply(core, call.args).then(
      (value) => port.postMessage({ id: call.id, value }),
      (error: unknown) =>
        port.postMessage({
          id: call.id,
          error: {
            name: error instanceof Error ? error.name : 'Error',
            message: error instanceof Error ? error.message : String(error),
          },
        }),
    ),
  );
});
