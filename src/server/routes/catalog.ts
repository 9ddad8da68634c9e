/**
 * Catalog routes (mounted under /v1): clients read the catalog, in full or as a delta since the
 * catalog they hold, named by the content hash they computed (never by a value this server
 * chose); the operator replaces it.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { isContentHash } from '../../catalog/content-hash.ts';
import { CatalogEmptyError } from '../../catalog/errors.ts';
import { type CatalogParseResult, parseCatalogRecords } from '../../catalog/parse.ts';
import {
  catalogReport,
  catalogSummary,
  hasCatalogErrors,
  parseReport,
  REPORT_PROBLEMS,
} from '../../catalog/report.ts';
import { catalogFullEnvelopeSchema } from '../../protocol/catalog.ts';
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

/**
 * GET /catalog (`?since=<content hash>` for a delta; content-hash ETag, 304) and PUT
 * /admin/catalog (answers `{ version, items, report }`; `?strict` refuses a catalog with errors).
 */
export function catalogRoutes(deps: CatalogRoutesDeps): Hono {
  const { catalog } = deps;
  const app = new Hono();

  app.get('/catalog', async (c) => {
    const current = await catalog.current();
    const sinceRaw = c.req.query('since');
    const ifNoneMatch = c.req.header('if-none-match');
    const fullEtag = `"${current.hash}"`;
    const fullBody = () =>
      c.body(current.body, 200, { etag: fullEtag, 'content-type': 'application/json' });
    if (isContentHash(sinceRaw)) {
      // The client's own hash of what it holds: 304 when that is the current catalog, a delta
      // when this server remembers which version it stands for, else the full catalog.
      const from = catalog.versionOf(sinceRaw);
      if (from === current.version || ifNoneMatch === fullEtag)
        return c.body(null, 304, { etag: `"${sinceRaw}"` });
      if (from === undefined || from > current.version) return fullBody();
      const { delta, hash } = await catalog.deltaFromHash(sinceRaw, from);
      return c.json(delta, 200, { etag: `"${hash}"` });
    }
    const since = sinceRaw === undefined ? Number.NaN : Number(sinceRaw);
    if (Number.isInteger(since) && since >= 0 && since <= current.version) {
      // An integer version, for scripts that track it (Hearth's client never sends one).
      const etag = `"c-${current.version}-s${since}"`;
      if (ifNoneMatch === etag) return c.body(null, 304, { etag });
      return c.json(catalog.delta(since), 200, { etag });
    }
    if (ifNoneMatch === fullEtag) return c.body(null, 304, { etag: fullEtag });
    return fullBody();
  });

  app.put('/admin/catalog', deps.admin, bodySizeLimit({ maxBytes: deps.adminBytes }), async (c) => {
    const raw = await readJson(c);
    // A bare array is accepted as the items of a catalog (the version is assigned here).
    const { items } = parseOrReject(
      catalogFullEnvelopeSchema,
      Array.isArray(raw) ? { version: 0, items: raw } : raw,
      'catalog rejected',
    );
    // The browser's rules (src/catalog/parse.ts): the server keeps exactly the items every
    // visitor's device would keep, and says which others it skipped and why.
    let parsed: CatalogParseResult;
    try {
      // An empty list clears the catalog on purpose; items that are all invalid are a mistake.
      parsed = parseCatalogRecords(items, { allowEmpty: items.length === 0 });
    } catch (error) {
      if (!(error instanceof CatalogEmptyError)) throw error;
      throw new HttpError(400, 'invalid', `catalog rejected: ${error.message}`);
    }
    const report = catalogReport(parseReport(parsed), REPORT_PROBLEMS);
    if (c.req.query('strict') !== undefined && hasCatalogErrors(report)) {
      throw new HttpError(
        400,
        'invalid',
        `catalog rejected (strict): ${catalogSummary(report)} Nothing was stored.`,
        report.problems.map((p) => p.message),
      );
    }
    const kept = parsed.items.map((item, i) => {
      const at = parsed.itemLocations[i];
      // Stored as uploaded (clients apply the same rules to it), under the id they will read.
      return { id: item.id, record: at?.kind === 'index' ? items[at.index] : item };
    });
    const version = catalog.replace(kept);
    return c.json({ version: String(version), items: report.accepted, report });
  });

  return app;
}
