/**
 * A leader and a helper in process for the DAP tests: the thin-server app in the leader role and
 * the helper app, each with its own in-memory database and in-thread preparation engine (seeded
 * noise), the leader reaching the helper through `helperApp.request`, a clock the test moves, and
 * clients made with `@divviup/dap`'s Task whose fetch is routed to the two apps.
 */
import { libraryTask } from '../../../src/federated/dap-report.ts';
import { dapRho, reportSensitivity } from '../../../src/privacy/dap-accounting.ts';
import { seededRandomBelow } from '../../../src/privacy/discrete-gaussian.ts';
import type { DapTask } from '../../../src/protocol/dap.ts';
import { buildApp } from '../../../src/server/app.ts';
import { createHelperApp } from '../../../src/server/dap/helper.ts';
import { createPrepCore, type PrepEngine } from '../../../src/server/dap/prep-core.ts';
import { openDapStorage } from '../../../src/server/dap/storage.ts';
import { openServerStorage } from '../../../src/server/storage.ts';
import { base64url } from '../../../src/wire/dap/tls.ts';
import { requestFrom } from '../../../support/server-attacks.ts';

export const ADMIN_TOKEN = 'dap-test-admin-token-0123456789abcdef';
export const PEER_TOKEN = 'dap-test-peer-token-0123456789abcdefgh';
export const LEADER = 'http://leader.test/dap/';
export const HELPER = 'http://helper.test/dap/';
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** 2026-01-01T00:00:00Z: windows start here; the test clock starts an hour later. */
export const T0 = Date.UTC(2026, 0, 1);
export const HOUR = 3_600_000;

/** An item-histogram task over `items` items (one window of a day from T0). */
export function histogramTask(
  overrides: Partial<Omit<DapTask, 'measurement' | 'vdaf' | 'noise'>> & {
    readonly items?: number;
    readonly maxItems?: number;
    readonly sigma?: number;
    readonly chunkLength?: number;
    readonly seed?: number;
  } = {},
): DapTask {
  const items = overrides.items ?? 12;
  const maxItems = overrides.maxItems ?? 3;
  const measurement = {
    kind: 'item-histogram' as const,
    items: Array.from({ length: items }, (_, i) => `item-${i}`),
    maxItems,
  };
  const sigma = overrides.sigma ?? 2;
  const sensitivity = reportSensitivity(measurement);
  const idBytes = new Uint8Array(32).fill(overrides.seed ?? 7);
  return {
    v: 1,
    id: overrides.id ?? base64url(idBytes),
    name: overrides.name ?? 'item popularity',
    measurement,
    vdaf: { type: 'sumVec', length: items, bits: 1, chunkLength: overrides.chunkLength ?? 4 },
    noise: {
      mechanism: 'discrete-gaussian',
      sigma,
      sensitivity,
      rho: dapRho(sensitivity, sigma),
    },
    window: overrides.window ?? { start: T0, end: T0 + 24 * HOUR },
    timePrecisionSeconds: overrides.timePrecisionSeconds ?? 3600,
    minBatch: overrides.minBatch ?? 3,
    leader: overrides.leader ?? LEADER,
    helper: overrides.helper ?? HELPER,
  };
}

/** `@divviup/dap`'s client for a task document (global fetch until the caller replaces it). */
export function libraryClient(task: DapTask) {
  return libraryTask(task);
}

/** Options of a test pair. */
export interface PairOptions {
  readonly jobSize?: number;
  readonly reportsPerAddress?: number;
  readonly leaderEngine?: PrepEngine;
  readonly helperEngine?: PrepEngine;
  /** Seeds of each aggregator's noise source. */
  readonly noiseSeeds?: readonly [number, number];
  /** Origins both aggregators allow cross-origin. */
  readonly corsOrigins?: readonly string[];
}

/** A leader and helper in process, a movable clock, and a client factory. */
export function dapPair(options: PairOptions = {}) {
  const clock = { now: T0 + HOUR };
  const now = () => clock.now;
  const [leaderSeed, helperSeed] = options.noiseSeeds ?? [101, 202];
  const helperStorage = openDapStorage(':memory:');
  const helperApp = createHelperApp({
    storage: helperStorage,
    engine: options.helperEngine ?? createPrepCore({ noise: seededRandomBelow(helperSeed) }),
    peerToken: PEER_TOKEN,
    adminToken: ADMIN_TOKEN,
    corsOrigins: options.corsOrigins,
    now,
  });
  const serverStorage = openServerStorage(':memory:');
  const helperFetch = async (url: string, init: RequestInit) => helperApp.request(url, init);
  const { app, dap } = buildApp({
    storage: serverStorage,
    adminToken: ADMIN_TOKEN,
    corsOrigins: options.corsOrigins,
    now,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    dap: {
      engine: options.leaderEngine ?? createPrepCore({ noise: seededRandomBelow(leaderSeed) }),
      helperUrl: HELPER,
      peerToken: PEER_TOKEN,
      helperFetch,
      jobSize: options.jobSize ?? 10,
      flushMs: 60_000,
      retryMs: 20,
      reportsPerAddress: options.reportsPerAddress,
    },
  });
  if (dap === null) throw new Error('leader role missing');

  /** The fetch a client uses: leader URLs to the leader app, helper URLs to the helper app. */
  const clientFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(HELPER)) return helperApp.request(url, init);
    return app.request(url, init);
  };

  /** A DAP client of `task` (the maintained library, pointed at the in-process aggregators). */
  const client = (task: DapTask) => {
    const t = libraryClient(task);
    t.fetch = clientFetch;
    return t;
  };

  const publish = async (task: DapTask) => {
    const res = await app.request('/v1/admin/dap/tasks', {
      method: 'PUT',
      headers: ADMIN,
      body: JSON.stringify(task),
    });
    if (res.status !== 201) throw new Error(`publish failed ${res.status}: ${await res.text()}`);
  };

  const collect = (taskId: string) =>
    app.request('/v1/admin/dap/collect', {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ taskId }),
    });

  const stats = async (which: 'leader' | 'helper', taskId: string) => {
    const target = which === 'leader' ? app : helperApp;
    const res = await target.request(`/v1/admin/dap/tasks/${taskId}/stats`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    return (await res.json()) as {
      closed: boolean;
      reports: { pending: number; inJob: number; aggregated: number; rejected: number };
      batch: { reports: number; released: boolean };
      rejections: Record<string, number>;
    };
  };

  return {
    app,
    dap,
    helperApp,
    helperStorage,
    serverStorage,
    clock,
    client,
    clientFetch,
    publish,
    collect,
    stats,
    close() {
      dap.close();
    },
  };
}

/** A multi-hot vector of `length` with ones at `ones`. */
export function multiHot(length: number, ones: readonly number[]): number[] {
  const v = new Array<number>(length).fill(0);
  for (const i of ones) v[i] = 1;
  return v;
}

/** A library client of `p` whose uploads come from `address` (HPKE configs fetched in process). */
export function clientAt(p: ReturnType<typeof dapPair>, task: DapTask, address: string) {
  const t = libraryClient(task);
  t.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input.url;
    if (init?.method !== 'PUT') return p.clientFetch(url, init);
    return requestFrom(p.app, address, url.replace('http://leader.test', ''), init);
  };
  return t;
}
