/**
 * The two aggregators of `hearth simulate --mode dap`: the thin-server app in the leader role
 * (`buildApp({ dap })`, as `hearth serve --role leader` runs it) and the helper app
 * (`createHelperApp`, as `--role helper`), each with its own in-memory database and HPKE keys,
 * Prio3 preparation in a worker thread each, and one clock the simulation moves past a task's
 * window to collect it. In process, the visitors' gates and the leader reach the apps through
 * `app.request`; with `http`, both apps listen on loopback ports and every request is real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { globalModelOf } from '../federated/client.ts';
import type { GateFetch } from '../privacy/gate.ts';
import type { DapTask } from '../protocol/dap.ts';
import { ModelsResponseSchema } from '../protocol/model.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import { buildApp } from '../server/app.ts';
import { createHelperApp } from '../server/dap/helper.ts';
import { createPrepCore } from '../server/dap/prep-core.ts';
import { createPrepWorker } from '../server/dap/prep-engine.ts';
import { openDapStorage } from '../server/dap/storage.ts';
import { openServerStorage } from '../server/storage.ts';
import { modelUploadBody } from '../wire/model-upload.ts';
import { DapSimulationError } from './dap-transport.ts';
import type { DapSimDeployment } from './sim-dap.ts';

/** A listening app on a free loopback port. */
async function listen(app: Hono): Promise<{ base: string; close: () => Promise<void> }> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  // The simulation blocks the event loop for long stretches: idle sockets stay open (see sim-server.ts).
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

/** Starts both aggregators (in process, or on loopback with `http`). */
export async function startDapDeployment(options: {
  readonly http: boolean;
  /** Prio3 preparation in a worker thread per aggregator (default), or on the main thread. */
  readonly prepThreads?: boolean;
}): Promise<DapSimDeployment> {
  const adminToken = randomBytes(32).toString('base64url');
  const peerToken = randomBytes(32).toString('base64url');
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const engine = () => (options.prepThreads === false ? createPrepCore() : createPrepWorker());
  const [leaderEngine, helperEngine] = [engine(), engine()];
  const helperStorage = openDapStorage(':memory:');
  const helperApp = createHelperApp({
    storage: helperStorage,
    engine: helperEngine,
    peerToken,
    adminToken,
    now,
  });
  const helperServer = options.http ? await listen(helperApp) : null;
  const helperBase = helperServer?.base ?? 'http://helper.sim/';
  const serverStorage = openServerStorage(':memory:');
  const { app, dap } = buildApp({
    storage: serverStorage,
    adminToken,
    now,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    // Every simulated visitor shares one address (loopback, or none in process): no quotas.
    quotas: { updatesPerRound: Number.POSITIVE_INFINITY, reportsPerDay: Number.POSITIVE_INFINITY },
    dap: {
      engine: leaderEngine,
      helperUrl: `${helperBase}dap/`,
      peerToken,
      ...(options.http
        ? {}
        : { helperFetch: async (url: string, init: RequestInit) => helperApp.request(url, init) }),
      reportsPerAddress: Number.MAX_SAFE_INTEGER,
    },
  });
  if (dap === null) throw new Error('the leader role did not start');
  const leaderServer = options.http ? await listen(app) : null;
  const server = leaderServer?.base ?? 'http://leader.sim/';
  const fetch: GateFetch = options.http
    ? (url, init) => globalThis.fetch(url, init)
    : async (url, init) =>
        url.startsWith(helperBase) ? helperApp.request(url, init) : app.request(url, init);
  const admin = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(new URL(path, server).href, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  const ranker = async () => {
    const res = await fetch(new URL('v1/model?name=ranker', server).href, { method: 'GET' });
    const entry = ModelsResponseSchema.parse(await res.json()).models.find(
      (m) => m.name === 'ranker',
    );
    if (entry === undefined) throw new Error('the leader publishes no ranker');
    const model = globalModelOf(entry);
    if (model.kind !== 'ranker') throw new Error('the published ranker has no ranker layout');
    return { version: model.version, params: model.params };
  };
  return {
    fetch,
    server,
    leader: `${server}dap/`,
    helper: `${helperBase}dap/`,
    transport: options.http ? 'http-loopback' : 'in-process',
    now,
    async openTask(task: DapTask) {
      await admin('PUT', 'v1/admin/dap/tasks', task);
    },
    async collect(task) {
      // The batch interval ends at the window's end rounded up to the time precision.
      const tp = task.timePrecisionSeconds * 1000;
      clock.now = Math.max(clock.now, Math.ceil(task.window.end / tp) * tp + 1000);
      await admin('POST', 'v1/admin/dap/collect', { taskId: task.id });
      const stats = (await (await admin('GET', `v1/admin/dap/tasks/${task.id}/stats`)).json()) as {
        reports: { aggregated: number; rejected: number };
        batch: { reports: number };
      };
      return { reports: stats.batch.reports, rejected: stats.reports.rejected };
    },
    async released(task) {
      const stored = dap.storage.result(task.id);
      if (stored === null)
        throw new DapSimulationError(
          `task '${task.name}' (${task.id}) has no released sum on the leader: collect it first.`,
        );
      const body = JSON.parse(stored.body) as { counts?: unknown; sum?: unknown };
      const sum = task.measurement.kind === 'item-histogram' ? body.counts : body.sum;
      if (!Array.isArray(sum) || !sum.every((v): v is number => typeof v === 'number'))
        throw new DapSimulationError(
          `task '${task.name}' (${task.id}): the leader's stored result holds no released sum; collect the task again.`,
        );
      return sum;
    },
    async popularity(items) {
      const res = await fetch(new URL(`v1/aggregates?limit=${items.length}`, server).href, {
        method: 'GET',
      });
      const body = AggregatesSchema.parse(await res.json());
      if (body.mechanism !== 'dap') throw new Error('the leader serves no DAP popularity prior');
      const counts = new Map(body.items.map((e) => [e.itemId, e.count]));
      return Float32Array.from(items, (id) => counts.get(id) ?? 0);
    },
    async publishRanker(features, params) {
      await admin(
        'PUT',
        'v1/admin/model',
        modelUploadBody('ranker', params, { kind: 'ranker', features: [...features] }),
      );
      return (await ranker()).version;
    },
    ranker,
    async close() {
      dap.close();
      await Promise.all([leaderServer?.close(), helperServer?.close()]);
      await Promise.all([leaderEngine.close(), helperEngine.close()]);
      serverStorage.close();
      helperStorage.close?.();
    },
  };
}
