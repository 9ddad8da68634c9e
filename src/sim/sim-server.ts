/**
 * The simulation's plumbing: a fresh in-memory server reached in process or over loopback, admin
 * requests, and the round driver that runs cohorts of real federated clients.
 */
import { serve } from '@hono/node-server';
import type { createFederatedClient, LocalData } from '../federated/client.ts';
import type { GateFetch } from '../privacy/gate.ts';
import type { ModelUpload } from '../protocol/model.ts';
import type { RoundSettings } from '../protocol/round.ts';
import { createApp } from '../server/app.ts';
import { openServerStorage, type ServerStorage } from '../server/storage.ts';
import type { AggregationStrategy } from '../server/strategy.ts';

export const TOKEN = 'simulation-admin';
const BASE = 'http://hearth.sim';
const ADMIN = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function startTransport(
  app: {
    fetch: (r: Request) => Response | Promise<Response>;
    request: (u: string, i: RequestInit) => Response | Promise<Response>;
  },
  http: boolean,
) {
  if (!http) {
    const fetch: GateFetch = async (url, init) => app.request(url, init);
    return { fetch, base: BASE, close: async () => undefined };
  }
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  // The simulation blocks the event loop for seconds at a time (training, embedding). A server
  // that closes idle keep-alive sockets meanwhile makes the next request fail on a socket the
  // client has not yet seen closing. 0 keeps idle sockets open until close().
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const fetch: GateFetch = (url, init) => globalThis.fetch(url, init);
  return {
    fetch,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      }),
  };
}

export type SimTransport = Awaited<ReturnType<typeof startTransport>>;

/**
 * Runs `task` against a fresh in-memory server (in process, or on loopback with `http`) and
 * always closes both afterwards. Rate limits and quotas are off: the simulation is one trusted
 * caller.
 */
export async function withSimServer<T>(
  options: { readonly telemetryEpsilon: number; readonly http: boolean },
  strategies: Readonly<Record<string, AggregationStrategy>>,
  task: (transport: SimTransport, storage: ServerStorage) => Promise<T>,
): Promise<T> {
  const storage = openServerStorage(':memory:');
  const app = createApp({
    storage,
    adminToken: TOKEN,
    strategies,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    // With --http every simulated visitor comes from 127.0.0.1: no per-address quotas either.
    quotas: { updatesPerRound: Number.POSITIVE_INFINITY, reportsPerDay: Number.POSITIVE_INFINITY },
    limits: { telemetryBytes: 1 << 20 },
    telemetryEpsilon: options.telemetryEpsilon,
    // The simulation scores the estimate over every report it sent: wait for all to be counted
    // (100k reports × 9.7k items take far longer than the 2 s a live request waits).
    telemetry: { maxWaitMs: 30 * 60_000 },
  });
  const transport = await startTransport(app, options.http);
  try {
    return await task(transport, storage);
  } finally {
    await transport.close();
    storage.close();
  }
}

/** An admin request; throws with the server's answer unless it succeeded. */
export async function admin(
  transport: SimTransport,
  method: 'PUT' | 'POST',
  path: string,
  body: ModelUpload | RoundSettings | readonly { id: string; title: string }[],
): Promise<void> {
  const res = await transport.fetch(`${transport.base}${path}`, {
    method,
    headers: ADMIN,
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

/** One simulated visitor: their index in the split and their federated client. */
export interface Participant {
  readonly u: number;
  readonly client: ReturnType<typeof createFederatedClient>;
}

/** Counts of one training phase. */
export interface PhaseCounts {
  uploads: number;
  uploadedBytes: number;
  skipped: number;
  refused: number;
}

/**
 * Runs `rounds` cohorts of `perRound` participants, cycling through a seeded shuffle so every
 * client takes part equally often; each participant trains whatever model the round names.
 */
export async function runRounds(
  participants: readonly Participant[],
  plan: { rounds: number; perRound: number; rng: () => number; label: string },
  local: (u: number) => LocalData,
  log: (message: string) => void,
): Promise<PhaseCounts> {
  const counts: PhaseCounts = { uploads: 0, uploadedBytes: 0, skipped: 0, refused: 0 };
  let cycle: Participant[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    for (let taken = 0; taken < plan.perRound; taken++) {
      if (cycle.length === 0) cycle = [...participants].sort(() => plan.rng() - 0.5);
      const next = cycle.pop();
      if (next === undefined) break;
      try {
        const out = await next.client.participate(local(next.u));
        if (out.kind === 'uploaded') {
          counts.uploadedBytes += out.bytes;
          counts.uploads++;
        } else counts.skipped++;
      } catch (error) {
        if ((error as Error).name === 'BudgetExceededError') counts.refused++;
        else throw error;
      }
    }
    if ((round + 1) % 20 === 0) log(`${plan.label}: round ${round + 1}/${plan.rounds}`);
  }
  return counts;
}
