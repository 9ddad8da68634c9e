/**
 * DP popularity estimates from stored OLH reports (Wang et al. 2017, see src/privacy/olh.ts),
 * maintained incrementally: support counts are cached per domain and only reports newer than the
 * cache are hashed. The domain is the catalog (or the model's item ids if no catalog exists).
 */
import { type OlhParams, olhDebias, olhParams, olhSupport } from '../privacy/olh.ts';
import type { Aggregates } from '../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { ServerStorage } from './storage.ts';

const Z95 = 1.959964;

/** Creates the aggregates service for reports made at `epsilon`. */
export function createAggregates(storage: ServerStorage, epsilon: number) {
  const params: OlhParams = olhParams(epsilon);
  let cache: { key: string; support: Float64Array; processed: number; reports: number } | null =
    null;

  return {
    params,
    /** Estimates for `itemIds` (top `limit` by count), bringing the cache up to date first. */
    estimate(itemIds: readonly string[], limit: number): Aggregates {
      const key = `${itemIds.length}:${itemIds.join('\u0000').length}:${itemIds[0] ?? ''}:${itemIds.at(-1) ?? ''}`;
      if (cache === null || cache.key !== key) {
        cache = { key, support: new Float64Array(itemIds.length), processed: 0, reports: 0 };
      }
      for (;;) {
        const rows = storage.reportsAfter(cache.processed, epsilon);
        if (rows.length === 0) break;
        const batch = olhSupport(itemIds, rows, params.range);
        for (let i = 0; i < batch.length; i++)
          cache.support[i] = (cache.support[i] ?? 0) + (batch[i] ?? 0);
        cache.processed = rows.at(-1)?.n ?? cache.processed;
        cache.reports += rows.length;
      }
      const est = olhDebias(itemIds, cache.support, cache.reports, params);
      const order = Array.from(est.counts.keys()).sort(
        (a, b) => (est.counts[b] ?? 0) - (est.counts[a] ?? 0),
      );
      return {
        v: PROTOCOL_VERSION,
        kind: 'aggregates',
        mechanism: 'olh',
        epsilon,
        reports: cache.reports,
        items: order.slice(0, limit).map((i) => {
          const count = est.counts[i] ?? 0;
          const sd = Math.sqrt(est.variances[i] ?? 0);
          return {
            itemId: itemIds[i] ?? '',
            count,
            variance: est.variances[i] ?? 0,
            ci95: [count - Z95 * sd, count + Z95 * sd] as [number, number],
          };
        }),
      };
    },
    /** Processed-report watermark (for ETags). */
    watermark: (): number => storage.maxReport(),
  };
}

/** The aggregates service type. */
export type ServerAggregates = ReturnType<typeof createAggregates>;
