/**
 * Worker-thread entry of the preparation engine: runs ./prep-core.ts (crypto noise) on messages
 * `{ id, method, args }` from ./prep-engine.ts and answers `{ id, value }` or `{ id, error }`.
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

port.on('message', (call: Call) => {
  const method = core[call.method] as (...args: unknown[]) => Promise<unknown>;
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
  );
});
