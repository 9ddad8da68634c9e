/**
 * Telemetry routes (mounted under /v1): clients post OLH reports (already randomised on the
 * device); anyone reads the debiased popularity estimates.
 */
import { Hono } from 'hono';
import { TelemetryBatchSchema } from '../../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { fnv1a } from '../../shared/hash.ts';
import type { ServerAggregates } from '../aggregates.ts';
import type { ServerCatalog } from '../catalog.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import type { ModelBodies } from '../model-bodies.ts';
import { parseOrReject, readJson } from '../read-body.ts';
import type { ServerStorage } from '../storage.ts';

/** Items listed by GET /aggregates without a valid `?limit=`. */
const DEFAULT_TOP = 100;

/** What the telemetry routes need. */
export interface TelemetryRoutesDeps {
  readonly storage: ServerStorage;
  readonly aggregates: ServerAggregates;
  readonly catalog: ServerCatalog;
  readonly modelBodies: ModelBodies;
  readonly telemetryBytes: number;
}

/** POST /telemetry and GET /aggregates (`?limit=`; ETag, 304). */
export function telemetryRoutes(deps: TelemetryRoutesDeps): Hono {
  const { storage, aggregates, catalog, modelBodies } = deps;
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
    storage.insertReports(batch.epsilon, batch.reports);
    return c.json(
      { v: PROTOCOL_VERSION, kind: 'telemetry-ack' as const, accepted: batch.reports.length },
      202,
    );
  });

  app.get('/aggregates', (c) => {
    // The item domain is the catalog; without one, the collab model's items.
    let domain = catalog.itemIds();
    if (domain.length === 0) {
      const layout = modelBodies.entry('collab')?.layout;
      domain = layout?.kind === 'collab' ? [...layout.itemIds] : [];
    }
    if (domain.length === 0)
      throw new HttpError(
        404,
        'not_found',
        'no item domain: upload a catalog (PUT /v1/admin/catalog) first.',
      );
    const limitParam = Number(c.req.query('limit') ?? String(DEFAULT_TOP));
    const top =
      Number.isInteger(limitParam) && limitParam > 0
        ? Math.min(limitParam, domain.length)
        : DEFAULT_TOP;
    const etag = `"a-${aggregates.watermark()}-${catalog.version()}-${fnv1a(domain.join('\n'))}-${top}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    return c.json(aggregates.estimate(domain, top));
  });

  return app;
}
