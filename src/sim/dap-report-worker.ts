/**
 * A worker thread of the simulation's report pool (dap-report-pool.ts): makes each DAP report it
 * is sent with the client's own `makeDapReport` and posts the bytes back (transferred).
 */
import { parentPort } from 'node:worker_threads';
import { type DapReportInput, makeDapReport } from '../federated/dap-report.ts';

parentPort?.on('message', async (job: { readonly id: number; readonly input: DapReportInput }) => {
  try {
    const out = await makeDapReport(job.input);
    parentPort?.postMessage({ id: job.id, out }, [out.bytes.buffer]);
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
