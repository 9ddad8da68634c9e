/**
 * `npm start`'s seed: simulated visitors (src/sim/demo-visitors.ts) teach the demo's shared
 * item-item model through secure aggregation only, so that a visitor of the demo sees
 * "Visitors who liked X also liked this" learned through DAP. Every step is the real one:
 *
 * 1. the operator publishes an item-histogram task (PUT /v1/admin/dap/tasks);
 * 2. each simulated visitor, with its own ledger and privacy gate (consent on), encodes its liked
 *    books with the client's encoder (src/wire/dap-measurement.ts), makes a Prio3 report with
 *    `@divviup/dap` (in worker threads, src/sim/dap-report-pool.ts) and uploads it to the leader,
 *    which verifies it with the helper;
 * 3. the operator collects (POST /v1/admin/dap/collect): both aggregators add their noise and the
 *    popularity is released;
 * 4. from that release alone (public data) the operator publishes the pair-count task over the head
 *    of the catalog (src/models/private-tasks.ts), the visitors report again, and the collection
 *    rebuilds the candidate `cooccurrence` model (src/server/dap/publish-models.ts);
 * 5. the seed promotes it with the operator's override (POST /v1/admin/promote, reason
 *    `DEMO_SEED_REASON`): simulated visitors cannot run a federated evaluation.
 *
 * The tasks' window is the hour that ended at the last whole minute: it is closed, so the leader
 * never lists these tasks to a real visitor of the page (whose reports go to the demo's own open
 * tasks) and the operator may collect at once; the simulated visitors report times in that hour.
 * Uploads go to the leader in process (no socket), so its per-address quota of real visitors does
 * not count 300 simulated ones as one address.
 *
 * Repeated starts: a database whose served `cooccurrence` is the one a seed promoted is not seeded
 * again (the record in the server's settings names the served version); one where the operator
 * promoted another model is never seeded over. An interrupted seed leaves nothing served, so the
 * next start seeds again from scratch (with new tasks).
 */
import { z } from 'zod';
import { dapUploadRequest } from '../federated/dap-client.ts';
import { hpkeConfigUrl } from '../federated/dap-report.ts';
import {
  DEFAULT_PRIVATE_STATISTICS,
  histogramMeasurement,
  type PrivateStatisticsParams,
  pairCountsMeasurement,
  planBudget,
  taskParts,
} from '../models/private-tasks.ts';
import { createPrivacyGate, type GateFetch } from '../privacy/gate.ts';
import { createLedger, createMemoryLedgerStorage, DEFAULT_CAPS } from '../privacy/ledger.ts';
import { rhoToEpsilon } from '../privacy/rdp.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';
import type { DapMeasurement, DapTask } from '../protocol/dap.ts';
import type { DemoSeedNote } from '../protocol/demo-seed.ts';
import { servedName } from '../protocol/model.ts';
import { AggregatesSchema } from '../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { cryptoRng, seededRng } from '../shared/rng.ts';
import { createDapReportPool, defaultReportThreads } from '../sim/dap-report-pool.ts';
import { dapTaskDocument, newTaskId } from '../sim/dap-task-document.ts';
import {
  DEMO_TASTES,
  type DemoBook,
  type DemoTasteParams,
  type DemoVisitor,
  simulateDemoVisitors,
} from '../sim/demo-visitors.ts';
import { encodeItemHistogram, encodePairCounts } from '../wire/dap-measurement.ts';

/** The reason the seed gives when it promotes its model without a federated evaluation. */
export const DEMO_SEED_REASON = 'demo seed: simulated visitors';

/** Names of the seed's tasks start with this (the leader's task list shows them to the operator). */
export const DEMO_SEED_TASK_PREFIX = 'demo seed: ';

/** The server setting that records a finished seed. */
const SEED_SETTING = 'demo_seed';

/** How the seed runs. */
export interface DemoSeedConfig {
  /** Simulated visitors; each makes one report per task. */
  readonly visitors: number;
  /** Each simulated visitor's total ε over both tasks, at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
  /** The statistics' parameters, sized for a catalog of a few hundred items. */
  readonly statistics: PrivateStatisticsParams;
  readonly tastes: DemoTasteParams;
  /** Seed of the simulated visitors' tastes and of the rounding in their pair reports. */
  readonly seed: number;
  /** Threads making reports (0: on the calling thread). */
  readonly threads: number;
}

/**
 * The demo's seed: 300 simulated visitors at ε = 8 each (δ = 10⁻⁶, the ledger's; within the
 * daily cap a real visitor's ledger allows). The statistics are sized for the 300-book demo (see
 * docs/widget.md § The demo's simulated visitors, where the figures come from): each visitor's
 * last 8 distinct books for popularity; pairs among the 40 most popular released books, 300 cells
 * chosen by released popularity alone, every pair of a visitor's ≤ 10 likes counted (weight 1),
 * clipped to L2 1 and scaled by 7 (3-bit entries); a quarter of ρ to popularity, the rest to pairs. The general
 * rule of private-tasks.ts (pairs only from 2,000 units of signal on) is for catalogs of
 * thousands of items; a 40-item head concentrates 300 visitors' pairs enough, so it is lowered.
 */
export const DEMO_SEED: DemoSeedConfig = {
  visitors: 300,
  epsilon: 8,
  delta: DEFAULT_CAPS.delta,
  statistics: {
    ...DEFAULT_PRIVATE_STATISTICS,
    maxItems: 8,
    head: 40,
    cells: 300,
    maxEvents: 10,
    window: 10,
    decay: 1,
    clip: 1,
    scale: 7,
    histogramShare: 0.25,
    pairsMinSignal: 100,
  },
  tastes: { ...DEMO_TASTES, zipf: 1.5, noise: 0.1 },
  seed: 13,
  threads: defaultReportThreads(),
};

/** What a finished seed released and served. */
export interface DemoSeedSummary {
  readonly visitors: number;
  /** Reports the leader accepted, over both tasks. */
  readonly reports: number;
  /** Reports refused or not delivered. */
  readonly failed: number;
  /** The largest total ε a simulated visitor's ledger recorded (all are equal). */
  readonly epsilon: number;
  readonly delta: number;
  /** Released book pairs that cleared the noise threshold. */
  readonly pairs: number;
  readonly items: number;
  /** The served copy's version (`cooccurrence.served`). */
  readonly servedVersion: number;
  readonly seconds: number;
}

/** What the seed did. */
export type DemoSeedOutcome =
  | { readonly kind: 'seeded'; readonly summary: DemoSeedSummary }
  | { readonly kind: 'already'; readonly note: DemoSeedNote }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'aborted' };

/** A step of the seed that failed (the leader refused a request): the demo runs without it. */
export class DemoSeedError extends Error {
  override readonly name = 'DemoSeedError';
}

/** The server settings the seed's record lives in, and what is served. */
export type SeedRecordStore = {
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  latestVersion(name: string): number | null;
};

const SeedRecordSchema = z.strictObject({
  servedVersion: z.number().int().nonnegative(),
  note: z.strictObject({
    state: z.literal('seeded'),
    visitors: z.number().int().nonnegative(),
    epsilon: z.number().nonnegative(),
    delta: z.number().positive(),
    pairs: z.number().int().nonnegative().optional(),
  }),
});

/**
 * The note of the seed whose model is served now, or null: no seed finished, or the operator
 * has promoted another version since.
 */
export function servedSeedNote(store: SeedRecordStore): DemoSeedNote | null {
  const raw = store.getSetting(SEED_SETTING);
  if (raw === null) return null;
  let record: z.infer<typeof SeedRecordSchema>;
  try {
    record = SeedRecordSchema.parse(JSON.parse(raw));
  } catch {
    return null;
  }
  const served = store.latestVersion(servedName(COOCCURRENCE_MODEL));
  return served === record.servedVersion ? record.note : null;
}

/** What the seed needs of the running demo. */
export interface DemoSeedDeps {
  /** Reaches the leader (`server`, its /v1 and /dap routes) and the helper (`helper`). */
  readonly fetch: GateFetch;
  /** The leader's base URL (its DAP endpoints are under `dap/`). */
  readonly server: string;
  /** The helper's DAP URL. */
  readonly helper: string;
  readonly adminToken: string;
  readonly store: SeedRecordStore;
  /** The catalog's books (the demo's catalog file). */
  readonly books: readonly DemoBook[];
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

const CollectedSchema = z.object({
  reports: z.number().int().nonnegative(),
  model: z
    .object({
      version: z.number().int().nonnegative(),
      items: z.number().int().nonnegative(),
      pairs: z.number().int().nonnegative(),
    })
    .optional(),
});

const PromotedSchema = z.object({ version: z.number().int().nonnegative() });

/** One simulated visitor's client: its ledger, its gate (consent on) and its liked books. */
interface SeedClient {
  readonly visitor: DemoVisitor;
  readonly gate: ReturnType<typeof createPrivacyGate>;
  readonly ledger: ReturnType<typeof createLedger>;
}

/** Seeds the demo (see the file comment); never throws for a refused step, it reports it. */
export async function seedDemo(
  deps: DemoSeedDeps,
  config: DemoSeedConfig = DEMO_SEED,
): Promise<DemoSeedOutcome> {
  const started = performance.now();
  const now = deps.now ?? Date.now;
  const served = deps.store.latestVersion(servedName(COOCCURRENCE_MODEL));
  if (served !== null) {
    const note = servedSeedNote(deps.store);
    if (note !== null) return { kind: 'already', note };
    return {
      kind: 'skipped',
      reason: `a '${COOCCURRENCE_MODEL}' model is already served (version ${served}, promoted by the operator); the seed never replaces it`,
    };
  }
  const ids = deps.books.map((b) => b.id);
  if (ids.length < 2 || config.visitors < 2)
    return { kind: 'skipped', reason: 'the seed needs at least two books and two visitors' };

  const admin = async (method: string, path: string, body: unknown): Promise<unknown> => {
    const response = await deps.fetch(new URL(path, deps.server).href, {
      method,
      headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new DemoSeedError(
        `${method} /${path} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    return JSON.parse(text) as unknown;
  };

  const rng = seededRng(config.seed);
  const visitors = simulateDemoVisitors(deps.books, config.visitors, rng, config.tastes);
  const plan = planBudget(config.epsilon, config.delta, visitors.length, config.statistics);
  const totalReports = visitors.length * (plan.usePairs ? 2 : 1);
  const clients: SeedClient[] = visitors.map((visitor) => {
    const ledger = createLedger({
      storage: createMemoryLedgerStorage(),
      caps: { ...DEFAULT_CAPS, delta: config.delta },
      now,
    });
    return {
      visitor,
      ledger,
      gate: createPrivacyGate({ ledger, fetch: deps.fetch, consent: true }),
    };
  });
  // The hour that ended at the last whole minute: closed now, so collectable at once.
  const end = Math.floor(now() / 60_000) * 60_000;
  const placement = {
    leader: new URL('dap/', deps.server).href,
    helper: deps.helper,
    window: { start: end - 3_600_000, end },
    timePrecisionSeconds: 60,
    minBatch: Math.min(10, visitors.length),
  };
  const reportTime = end - 30_000;
  const pool = createDapReportPool(config.threads);
  const counts = { sent: 0, failed: 0 };
  const step = Math.max(1, Math.round(totalReports / 10));
  const progress = () =>
    `seeding the demo with ${visitors.length} simulated visitors through DAP: ${counts.sent + counts.failed}/${totalReports} reports`;
  deps.log(progress());

  /** Publishes a task, has every simulated visitor report to it, collects it. */
  const round = async (
    name: string,
    measurement: DapMeasurement,
    rho: number,
    encode: (likes: readonly string[], visitor: number) => number[],
  ) => {
    // taskParts: the SumVec chunk length for multi-bit entries too (√(length·bits)).
    const task: DapTask = {
      ...dapTaskDocument(
        newTaskId(cryptoRng),
        `${DEMO_SEED_TASK_PREFIX}${name}`,
        measurement,
        rho,
        placement,
      ),
      ...taskParts(measurement, rho),
    };
    await admin('PUT', 'v1/admin/dap/tasks', task);
    // Every visitor reads the same two public keys: fetched once for all of them.
    const key = async (aggregator: string) => {
      const response = await deps.fetch(hpkeConfigUrl(aggregator, task.id), { method: 'GET' });
      if (!response.ok)
        throw new DemoSeedError(`the HPKE key of ${aggregator} answered ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    };
    const hpkeConfigs = { leader: await key(task.leader), helper: await key(task.helper) };
    const epsilon = rhoToEpsilon(rho, config.delta);
    let next = 0;
    const one = async (client: SeedClient, index: number) => {
      const made = await pool.make({
        task,
        measurement: encode(client.visitor.likes, index),
        hpkeConfigs,
        timestamp: reportTime,
      });
      const response = await client.gate.send(
        dapUploadRequest(
          task,
          made.bytes,
          rho,
          `DAP report for task '${task.name}' (simulated visitor): ${made.bytes.byteLength} bytes, ε = ${epsilon.toFixed(2)} at δ = ${config.delta}`,
        ),
      );
      return response.status === 201;
    };
    const worker = async () => {
      for (;;) {
        if (deps.signal?.aborted) return;
        const index = next++;
        const client = clients[index];
        if (client === undefined) return;
        const ok = await one(client, index).catch(() => false);
        if (ok) counts.sent++;
        else counts.failed++;
        if ((counts.sent + counts.failed) % step === 0) deps.log(progress());
      }
    };
    await Promise.all(Array.from({ length: Math.max(2, 2 * pool.threads + 1) }, worker));
    if (deps.signal?.aborted) return null;
    return CollectedSchema.parse(await admin('POST', 'v1/admin/dap/collect', { taskId: task.id }));
  };

  try {
    const histogram = histogramMeasurement(ids, config.statistics);
    const popularity = await round(
      'item popularity (simulated visitors)',
      histogram,
      plan.histogramRho,
      (likes) => encodeItemHistogram(histogram, likes),
    );
    if (popularity === null) return { kind: 'aborted' };
    let collected = popularity;
    if (plan.usePairs) {
      // The head and the cells come from the released popularity alone (public once released).
      const released = AggregatesSchema.parse(
        await (
          await deps.fetch(new URL(`v1/aggregates?limit=${ids.length}`, deps.server).href, {
            method: 'GET',
          })
        ).json(),
      );
      const count = new Map(released.items.map((e) => [e.itemId, e.count]));
      const pairs = pairCountsMeasurement(
        ids,
        ids.map((id) => count.get(id) ?? 0),
        null,
        config.statistics,
      );
      // Each visitor's stochastic rounding has its own seeded stream: the same whatever the order.
      const pairsCollected = await round(
        'book pairs (simulated visitors)',
        pairs,
        plan.pairsRho,
        (likes, visitor) =>
          encodePairCounts(pairs, likes, seededRng(config.seed * 7_919 + visitor + 1)),
      );
      if (pairsCollected === null) return { kind: 'aborted' };
      collected = pairsCollected;
    }
    const model = collected.model;
    if (model === undefined)
      throw new DemoSeedError('the collection published no cooccurrence model to promote');
    const promoted = PromotedSchema.parse(
      await admin('POST', 'v1/admin/promote', {
        v: PROTOCOL_VERSION,
        kind: 'promote',
        name: COOCCURRENCE_MODEL,
        version: model.version,
        override: true,
        reason: DEMO_SEED_REASON,
      }),
    );
    const spent = await Promise.all(clients.map(async (c) => (await c.ledger.spent()).lifetime));
    const summary: DemoSeedSummary = {
      visitors: visitors.length,
      reports: counts.sent,
      failed: counts.failed,
      epsilon: Math.max(...spent.map((s) => s.epsilon)),
      delta: config.delta,
      pairs: model.pairs,
      items: model.items,
      servedVersion: promoted.version,
      seconds: (performance.now() - started) / 1000,
    };
    const note: DemoSeedNote = {
      state: 'seeded',
      visitors: summary.visitors,
      epsilon: summary.epsilon,
      delta: summary.delta,
      pairs: summary.pairs,
    };
    deps.store.setSetting(SEED_SETTING, JSON.stringify({ servedVersion: promoted.version, note }));
    return { kind: 'seeded', summary };
  } finally {
    await pool.close();
  }
}

/** The note the page shows while the seed runs. */
export function seedingNote(config: DemoSeedConfig): DemoSeedNote {
  return {
    state: 'seeding',
    visitors: config.visitors,
    epsilon: config.epsilon,
    delta: config.delta,
  };
}
