/**
 * Telemetry routes (mounted under /v1): clients post OLH reports (already randomised on the
 * device), at most `reportsPerDay` per client address per UTC day; anyone reads the debiased
 * popularity estimates, which a background pump keeps up to date (../aggregates.ts).
 */
import { type Context, Hono } from 'hono';
import type { Aggregates } from '../../protocol/telemetry.ts';
import { TelemetryBatchSchema } from '../../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { ServerAggregates } from '../aggregates.ts';
import type { WindowQuota } from '../client-quota.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import { parseOrReject, readJson } from '../read-body.ts';
import type { ReportWriter } from '../report-writer.ts';
import { DAY_MS, dayOf } from '../storage.ts';

/** Items listed by GET /aggregates without a valid `?limit=`. */
const DEFAULT_TOP = 100;

/** What the telemetry routes need. */
export interface TelemetryRoutesDeps {
  readonly aggregates: ServerAggregates;
  /** Stores report batches with a shared (group) commit. */
  readonly writer: ReportWriter;
  readonly telemetryBytes: number;
  /** Reports one client address may send per UTC day. */
  readonly reportsPerDay: WindowQuota;
  /** The client's key; null (in process) is not subject to the quota. */
  readonly client: (c: Context) => string | null;
  /** Longest a GET /aggregates waits for the background pump to count the newest reports. */
  readonly maxWaitMs: number;
  /** The DAP popularity prior (leader role): served by default once one is published. */
  readonly dap?: {
    readonly version: () => string | null;
    readonly estimate: (limit: number) => Aggregates | null;
  };
  readonly now: () => number;
}

/**
 * POST /telemetry and GET /aggregates (`?limit=`; ETag, 304). In the leader role GET /aggregates
 * serves the newest DAP popularity prior when one exists (`?mechanism=olh` asks for the OLH one).
 */
export function telemetryRoutes(deps: TelemetryRoutesDeps): Hono {
  const { aggregates, now } = deps;
  const app = new Hono();

  app.post('/telemetry', bodySizeLimit({ maxBytes: deps.telemetryBytes }), async (c) => {
    const batch = parseOrReject(
      TelemetryBatchSchema,
      await readJson(c),
      'telemetry batch rejected',
    );
    // The estimator's debiasing assumes one ε and one hash range for every report.
    if (batch.epsilon !== aggregates.params.epsilon) {
      throw new HttpError(400, 'invalid', 'telemetry batch rejected', [
        `epsilon ${batch.epsilon} is not this server's per-report epsilon ${aggregates.params.epsilon}`,
      ]);
    }
    const bad = batch.reports.findIndex(([, value]) => value >= aggregates.params.range);
    if (bad >= 0)
      throw new HttpError(400, 'invalid', 'telemetry batch rejected', [
        `reports.${bad}: value must be < hash range ${aggregates.params.range}`,
      ]);
    const client = deps.client(c);
    const day = dayOf(now());
    if (client !== null) {
      const left = deps.reportsPerDay.remaining(client, String(day));
      if (batch.reports.length > left) {
        const wait = Math.max(1, Math.ceil(((day + 1) * DAY_MS - now()) / 1000));
        throw new HttpError(
          429,
          'rate_limited',
          `this address may send ${left} more reports today, the batch has ${batch.reports.length}; retry after the UTC day ends (in ${wait} s).`,
          undefined,
          { 'retry-after': String(wait) },
        );
      }
    }
    // The quota is taken before the shared commit and given back if the commit fails.
    if (client !== null) deps.reportsPerDay.use(client, String(day), batch.reports.length);
    try {
      await deps.writer.write({ epsilon: batch.epsilon, reports: batch.reports, day });
    } catch (error) {
      if (client !== null) deps.reportsPerDay.use(client, String(day), -batch.reports.length);
      throw error;
    }
    aggregates.notify();
    return c.json(
      { v: PROTOCOL_VERSION, kind: 'telemetry-ack' as const, accepted: batch.reports.length },
      202,
    );
  });

  app.get('/aggregates', async (c) => {
    const dapVersion = c.req.query('mechanism') === 'olh' ? null : (deps.dap?.version() ?? null);
    if (deps.dap !== undefined && dapVersion !== null) {
      const limitParam = Number(c.req.query('limit') ?? String(DEFAULT_TOP));
      const top = Number.isInteger(limitParam) && limitParam > 0 ? limitParam : DEFAULT_TOP;
      const etag = `"d-${dapVersion}-${top}"`;
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
      const body = deps.dap.estimate(top);
      if (body !== null) {
        c.header('etag', etag);
        return c.json(body);
      }
    }
    // The counts are kept by the background pump; this only waits (event loop free) for it.
    await aggregates.settle(deps.maxWaitMs);
    const version = aggregates.version();
    if (version === null)
      throw new HttpError(
        404,
        'not_found',
        'no item domain: upload a catalog (PUT /v1/admin/catalog) first.',
      );
    const limitParam = Number(c.req.query('limit') ?? String(DEFAULT_TOP));
    const top =
      Number.isInteger(limitParam) && limitParam > 0
        ? Math.min(limitParam, aggregates.domainSize())
        : DEFAULT_TOP;
    const etag = `"a-${version}-${top}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    const body = aggregates.estimate(top);
    if (body === null) throw new HttpError(404, 'not_found', 'the item domain was removed.');
    c.header('etag', etag);
    return c.json(body);
  });

  return app;
}
