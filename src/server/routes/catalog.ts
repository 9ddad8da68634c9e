/**
 * Catalog routes (mounted under /v1): clients read the catalog, in full or as a delta since the
 * version they hold; the operator replaces it.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { catalogFullSchema, catalogItemInputSchema } from '../../protocol/catalog.ts';
import type { ServerCatalog } from '../catalog.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import { parseOrReject, readJson } from '../read-body.ts';

/** What the catalog routes need. */
export interface CatalogRoutesDeps {
  readonly catalog: ServerCatalog;
  /** Guard of the operator's endpoints. */
  readonly admin: MiddlewareHandler;
  readonly adminBytes: number;
}

/** GET /catalog (`?since=N` for a delta; ETag, 304) and PUT /admin/catalog. */
export function catalogRoutes(deps: CatalogRoutesDeps): Hono {
  const { catalog } = deps;
  const app = new Hono();

  app.get('/catalog', (c) => {
    const version = catalog.version();
    const since = Number(c.req.query('since') ?? Number.NaN);
    const delta = Number.isInteger(since) && since >= 0 && since <= version;
    // The ETag names the delta's base too (a delta and the full catalog at one version differ),
    // as a number: the raw query may hold characters a header cannot carry.
    const etag = `"c-${version}${delta ? `-s${since}` : ''}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    return c.json(delta ? catalog.delta(since) : catalog.full());
  });

  app.put('/admin/catalog', deps.admin, bodySizeLimit({ maxBytes: deps.adminBytes }), async (c) => {
    const raw = await readJson(c);
    // A bare array is accepted as the items of a catalog (the version is assigned here).
    const full = parseOrReject(
      catalogFullSchema,
      Array.isArray(raw) ? { version: 0, items: raw } : raw,
      'catalog rejected',
    );
    const items = full.items.map((item) => catalogItemInputSchema.parse(item));
    const ids = new Set(items.map((i) => String(i.id)));
    if (ids.size !== items.length)
      throw new HttpError(400, 'invalid', 'catalog rejected', ['item ids must be unique']);
    return c.json({ version: String(catalog.replace(items)), items: items.length });
  });

  return app;
}
