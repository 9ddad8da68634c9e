/**
 * Worker threads that make the simulated visitors' DAP reports (each report costs ~0.3 s of CPU
 * at 10,000 entries in Node 20): the client code is the same (`makeDapReport` behind the
 * `DapReportMaker` the DAP client takes), only the thread differs. With 0 threads the reports are
 * made on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type DapReportInput,
  type DapReportMaker,
  type DapReportOutput,
  makeDapReport,
} from '../federated/dap-report.ts';

/** A pool of report-making threads. */
export interface DapReportPool {
  readonly make: DapReportMaker;
  readonly threads: number;
  close(): Promise<void>;
}

type Reply =
  | { readonly id: number; readonly out: DapReportOutput }
  | { readonly id: number; readonly error: string };

/**
 * Starts a worker thread running dap-report-worker.ts. The thread is plain Node: it registers tsx
 * itself before importing the TypeScript module (Node 20 does not pass the parent's loader on).
 */
function startWorker(): Worker {
  const url = new URL('./dap-report-worker.ts', import.meta.url).href;
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); });`,
    { eval: true },
  );
}

/** Threads for report making: the cores but one (left to the aggregators), at least 1. */
export function defaultReportThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Starts `threads` report-making threads (0: make reports on this thread). */
export function createDapReportPool(threads: number): DapReportPool {
  if (threads <= 0) return { make: makeDapReport, threads: 0, close: async () => undefined };
  const workers = Array.from({ length: threads }, startWorker);
  const pending = new Map<
    number,
    { resolve: (out: DapReportOutput) => void; reject: (error: Error) => void }
  >();
  const idle: Worker[] = [...workers];
  const queue: { id: number; input: DapReportInput }[] = [];
  let nextId = 0;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop();
      const job = queue.shift();
      if (worker !== undefined && job !== undefined) worker.postMessage(job);
    }
  };
  for (const worker of workers) {
    worker.on('message', (reply: Reply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      idle.push(worker);
      dispatch();
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.out);
    });
    worker.on('error', (error: Error) => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  }
  return {
    threads,
    make: (input) =>
      new Promise<DapReportOutput>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        queue.push({ id, input });
        dispatch();
      }),
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
