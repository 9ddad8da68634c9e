/**
 * DP popularity estimates from stored OLH reports (Wang et al. 2017, see src/privacy/olh.ts),
 * maintained off the request path. Support counts per item of the current domain (the catalog,
 * or the collab model's item ids when there is no catalog) live in memory; a background pump
 * folds new reports into them in small steps (each step hashes at most `hashesPerStep` report ×
 * item pairs, then yields the event loop with setImmediate) and applies the retention: reports
 * received more than `retentionDays` UTC days ago are subtracted from the counts and deleted.
 * A request only reads the counts; it may wait (asynchronously, the event loop stays free) for
 * the pump to catch up with the reports stored before it, at most `maxWaitMs`. The domain is
 * identified by a content hash of its ids, so any change of the catalog recounts from scratch.
 * After a restart the counts are rebuilt from the stored reports in the same small steps.
 */
import { createHash } from 'node:crypto';
import { type OlhParams, olhDebias, olhParams, olhSupport } from '../privacy/olh.ts';
import type { Aggregates } from '../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { ServerCatalog } from './catalog.ts';
import type { ModelBodies } from './model-bodies.ts';
import { dayOf, type ServerStorage } from './storage.ts';

const Z95 = 1.959964;

/** Report × item hashes per background step: ≈ 3 ms of blocked event loop. */
export const DEFAULT_HASHES_PER_STEP = 100_000;

/** Expired reports deleted per step when there is no domain (nothing to hash). */
const PRUNE_ONLY_BATCH = 10_000;

/** Days a report is kept and counted by default. */
export const DEFAULT_RETENTION_DAYS = 30;

/** The items estimates are made for, and a content hash that identifies the list. */
export interface ItemDomain {
  readonly key: string;
  readonly itemIds: readonly string[];
}

/** Options of `createAggregates`. */
export interface AggregatesOptions {
  readonly storage: ServerStorage;
  /** ε of the reports this server accepts. */
  readonly epsilon: number;
  /** The current item domain (null when there is none); called often, so it must be cheap. */
  readonly domain: () => ItemDomain | null;
  readonly now: () => number;
  readonly retentionDays?: number;
  readonly hashesPerStep?: number;
  /** Runs a background step later; default setImmediate. */
  readonly schedule?: (step: () => void) => void;
  readonly onError?: (error: unknown) => void;
}

interface Counts {
  readonly domain: ItemDomain;
  readonly support: Float64Array;
  /** Highest report number folded in (every report at or below it is counted or skipped). */
  folded: number;
  /** Reports counted. */
  reports: number;
}

/** The content hash of a list of item ids (sha256 of its JSON). */
export function domainKey(itemIds: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(itemIds)).digest('base64url');
}

/**
 * The item domain of the estimates: the catalog's live ids or, without a catalog, the collab
 * model's. Re-read only when the catalog or collab version changes.
 */
export function itemDomain(
  catalog: ServerCatalog,
  modelBodies: ModelBodies,
  storage: ServerStorage,
): () => ItemDomain | null {
  let memo: { version: string; domain: ItemDomain | null } | null = null;
  return () => {
    const version = `${catalog.version()}:${storage.latestVersion('collab') ?? ''}`;
    if (memo?.version === version) return memo.domain;
    let ids = catalog.itemIds();
    if (ids.length === 0) {
      const layout = modelBodies.entry('collab')?.layout;
      ids = layout?.kind === 'collab' ? [...layout.itemIds] : [];
    }
    memo = { version, domain: ids.length === 0 ? null : { key: domainKey(ids), itemIds: ids } };
    return memo.domain;
  };
}

/** Creates the aggregates service for reports made at `epsilon`. */
export function createAggregates(options: AggregatesOptions) {
  const { storage, epsilon, domain, now } = options;
  const params: OlhParams = olhParams(epsilon);
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const hashesPerStep = options.hashesPerStep ?? DEFAULT_HASHES_PER_STEP;
  const schedule = options.schedule ?? ((step: () => void) => void setImmediate(step));
  let counts: Counts | null = null;
  let order: { counts: Counts; folded: number; reports: number; order: number[] } | null = null;
  let scheduled = false;
  const waiters = new Set<{ target: number; done: () => void }>();

  /** Counts for the current domain (reset when it changed); null without a domain. */
  const current = (): Counts | null => {
    const d = domain();
    if (d === null) {
      counts = null;
      return null;
    }
    if (counts?.domain.key !== d.key)
      counts = { domain: d, support: new Float64Array(d.itemIds.length), folded: 0, reports: 0 };
    return counts;
  };

  const addSupport = (
    c: Counts,
    rows: readonly { seed: number; value: number }[],
    sign: 1 | -1,
  ) => {
    const batch = olhSupport(c.domain.itemIds, rows, params.range);
    for (let i = 0; i < batch.length; i++)
      c.support[i] = (c.support[i] ?? 0) + sign * (batch[i] ?? 0);
    c.reports += sign * rows.length;
  };

  /** One bounded step of work; true when more remains. */
  const step = (): boolean => {
    if (!storage.db.open) return false;
    const c = current();
    // Without a domain nothing is hashed: a step only deletes expired reports.
    const batch =
      c === null
        ? PRUNE_ONLY_BATCH
        : Math.max(1, Math.floor(hashesPerStep / c.domain.itemIds.length));
    // Retention first: expired reports leave the counts and the database together.
    const cutoff = dayOf(now()) - retentionDays;
    const expired = storage.expiredReports(cutoff, batch);
    if (expired.length > 0) {
      storage.deleteReports(expired.map((r) => r.n));
      const counted =
        c === null ? [] : expired.filter((r) => r.n <= c.folded && r.epsilon === epsilon);
      if (c !== null && counted.length > 0) addSupport(c, counted, -1);
      return true;
    }
    if (c === null) return false;
    const rows = storage.reportsAfter(c.folded, epsilon, batch);
    const newest = rows.at(-1);
    if (newest === undefined) {
      // Nothing at this ε above the watermark: reports at another ε up to the newest are skipped.
      c.folded = Math.max(c.folded, storage.maxReport());
      return false;
    }
    addSupport(c, rows, 1);
    c.folded = newest.n;
    return true;
  };

  const settleWaiters = () => {
    for (const w of waiters) if (counts !== null && counts.folded >= w.target) w.done();
  };

  const run = () => {
    scheduled = false;
    let more = false;
    try {
      more = step();
    } catch (error) {
      // E.g. a locked or closed database: the next notify() (a request, the timer) retries.
      options.onError?.(error);
    }
    settleWaiters();
    if (more) notify();
  };

  /** Schedules background work (new reports, a changed domain, expired reports). */
  const notify = (): void => {
    if (scheduled) return;
    scheduled = true;
    schedule(run);
  };

  return {
    params,
    notify,
    /**
     * Resolves once every report stored now is counted for the current domain, or after
     * `maxWaitMs`, whichever is first. Never blocks the event loop itself.
     */
    settle(maxWaitMs: number): Promise<void> {
      const target = storage.maxReport();
      const c = current();
      notify();
      if (c === null || c.folded >= target) return Promise.resolve();
      return new Promise((resolve) => {
        const waiter = {
          target,
          done: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(waiter.done, maxWaitMs);
        timer.unref?.();
        waiters.add(waiter);
      });
    },
    /** Estimates from the counts as they are (top `limit` by count); null without a domain. */
    estimate(limit: number): Aggregates | null {
      const c = current();
      if (c === null) return null;
      const est = olhDebias(c.domain.itemIds, c.support, c.reports, params);
      if (order?.counts !== c || order.folded !== c.folded || order.reports !== c.reports) {
        const sorted = Array.from(est.counts.keys()).sort(
          (a, b) => (est.counts[b] ?? 0) - (est.counts[a] ?? 0),
        );
        order = { counts: c, folded: c.folded, reports: c.reports, order: sorted };
      }
      return {
        v: PROTOCOL_VERSION,
        kind: 'aggregates',
        mechanism: 'olh',
        epsilon,
        reports: c.reports,
        items: order.order.slice(0, limit).map((i) => {
          const count = est.counts[i] ?? 0;
          const sd = Math.sqrt(est.variances[i] ?? 0);
          return {
            itemId: c.domain.itemIds[i] ?? '',
            count,
            variance: est.variances[i] ?? 0,
            ci95: [count - Z95 * sd, count + Z95 * sd] as [number, number],
          };
        }),
      };
    },
    /** What the current estimates are made of, for ETags: domain hash, watermark, count. */
    version(): string | null {
      const c = current();
      return c === null ? null : `${c.domain.key.slice(0, 16)}-${c.folded}-${c.reports}`;
    },
    /** Items in the current domain (0 without one). */
    domainSize: (): number => current()?.domain.itemIds.length ?? 0,
  };
}

/** The aggregates service type. */
export type ServerAggregates = ReturnType<typeof createAggregates>;
