/**
 * Model routes (mounted under /v1): clients download the published models (the latest of each,
 * or one stored version by `?name=&version=`); the operator uploads a model version and promotes
 * a trained version to the one clients recommend with, behind the federated evaluation gate for
 * the models it covers (promotion-gate.ts), and reads the promotions' audit trail.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import {
  layoutLength,
  ModelQuerySchema,
  type ModelsResponse,
  ModelUploadSchema,
  PromoteSchema,
  type PromotionRecord,
  servedName,
} from '../../protocol/model.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import type { ModelBodies } from '../model-bodies.ts';
import { checkPromotion, EVALUATED_MODELS, type EvaluationLookup } from '../promotion-gate.ts';
import { parseOrReject, readJson } from '../read-body.ts';
import type { ServerStorage } from '../storage.ts';

/** Served versions kept (older copies are deleted on each promotion). */
const KEEP_SERVED_VERSIONS = 2;

/** A promotion request is a name and a version: a small cap is plenty. */
const PROMOTE_BYTES = 64 * 1024;

/** Promotions listed at most by `GET /admin/promotions`. */
const MAX_PROMOTIONS_LISTED = 100;

/** What the model routes need. */
export interface ModelRoutesDeps {
  readonly storage: ServerStorage;
  readonly modelBodies: ModelBodies;
  readonly now: () => number;
  /** Guard of the operator's endpoints. */
  readonly admin: MiddlewareHandler;
  readonly adminBytes: number;
  /**
   * The released federated evaluations (the DAP leader's results); without it no evaluation
   * exists, so a gated model is promoted only with an override.
   */
  readonly evaluations?: EvaluationLookup;
}

function base64ToFloat32(data: string): Float32Array {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length % 4 !== 0)
    throw new HttpError(400, 'invalid', 'model data is not a whole number of float32 values');
  // Copy into a fresh buffer: Buffer.from may return a slice of a pool at an unaligned offset.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** GET /model (`?name=`; ETag, 304), PUT /admin/model and POST /admin/promote. */
export function modelRoutes(deps: ModelRoutesDeps): Hono {
  const { storage, modelBodies, now } = deps;
  const app = new Hono();

  app.get('/model', (c) => {
    const query = parseOrReject(ModelQuerySchema, c.req.query(), 'model query rejected');
    if (query.name !== undefined && query.version !== undefined) {
      // One stored version: its content never changes, so its tag is its name and version.
      const { name, version } = query;
      const entry = modelBodies.versionEntry(name, version);
      if (entry === null)
        throw new HttpError(
          404,
          'not_found',
          `model '${name}' has no stored version ${version} (latest: ${storage.latestVersion(name) ?? 'none'}); ask for a version the server keeps.`,
        );
      const etag = `"m-${name}.${version}"`;
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
      c.header('etag', etag);
      const body: ModelsResponse = { v: PROTOCOL_VERSION, kind: 'models', models: [entry] };
      return c.json(body);
    }
    const wanted = query.name;
    const names = storage.modelNames().filter((n) => wanted === undefined || n === wanted);
    const versions = names.map((n) => `${n}.${storage.latestVersion(n) ?? 'none'}`);
    const etag = `"m-${versions.join('-')}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.header('etag', etag);
    const body: ModelsResponse = {
      v: PROTOCOL_VERSION,
      kind: 'models',
      models: names.flatMap((n) => {
        const entry = modelBodies.entry(n);
        return entry === null ? [] : [entry];
      }),
    };
    return c.json(body);
  });

  app.put('/admin/model', deps.admin, bodySizeLimit({ maxBytes: deps.adminBytes }), async (c) => {
    const upload = parseOrReject(ModelUploadSchema, await readJson(c), 'model rejected');
    const params = base64ToFloat32(upload.data);
    const reasons: string[] = [];
    if (params.length === 0) reasons.push('model has no parameters');
    if (!params.every(Number.isFinite)) reasons.push('model contains NaN or Infinity');
    if (upload.layout && params.length !== layoutLength(upload.layout)) {
      reasons.push(
        `${upload.layout.kind} layout needs ${layoutLength(upload.layout)} values, got ${params.length}`,
      );
    }
    if (reasons.length > 0) throw new HttpError(400, 'invalid', 'model rejected', reasons);
    const version = storage.transaction(() => {
      const next = (storage.latestVersion(upload.name) ?? -1) + 1;
      storage.insertModel({
        name: upload.name,
        version: next,
        params,
        layout: upload.layout ? JSON.stringify(upload.layout) : null,
        state: [],
      });
      // A new version opens a new round window.
      storage.setSetting('round_started_at', String(now()));
      return next;
    });
    return c.json({ name: upload.name, version }, 201);
  });

  // Serving is the operator's decision: a trained version is copied to `<name>.served` only
  // on request, so rounds never change what clients recommend with. Models learned from DP
  // releases are also gated on a federated evaluation (promotion-gate.ts) unless overridden.
  app.post('/admin/promote', deps.admin, bodySizeLimit({ maxBytes: PROMOTE_BYTES }), async (c) => {
    const request = parseOrReject(PromoteSchema, await readJson(c), 'promotion rejected');
    const { name, version } = request;
    const override = request.override === true;
    const target = servedName(name);
    const result = storage.transaction(() => {
      const latest = storage.latestModel(name);
      if (latest === null)
        throw new HttpError(404, 'not_found', `no model '${name}' is published.`);
      if (version !== undefined && version !== latest.version)
        throw new HttpError(
          409,
          'stale_version',
          `model '${name}' is at version ${latest.version}, not ${version}; promote the current version or check it first.`,
        );
      let evidence: string | null = null;
      if (EVALUATED_MODELS.has(name)) {
        const check = checkPromotion({
          name,
          version: latest.version,
          served: storage.latestVersion(target),
          evaluation: deps.evaluations?.(name, latest.version) ?? null,
        });
        if (!check.ok && !override) throw new HttpError(409, 'evaluation_required', check.message);
        evidence = check.ok ? check.evidence : `overridden: ${check.message}`;
      }
      const next = (storage.latestVersion(target) ?? -1) + 1;
      storage.insertModel({
        name: target,
        version: next,
        params: latest.params,
        layout: latest.layout,
        state: [],
      });
      storage.prune(target, next, KEEP_SERVED_VERSIONS);
      storage.insertPromotion({
        name,
        fromVersion: latest.version,
        servedVersion: next,
        at: now(),
        override,
        reason: request.reason ?? null,
        evidence,
      });
      return {
        name: target,
        version: next,
        from: latest.version,
        ...(evidence === null ? {} : { evaluation: evidence }),
        ...(override ? { override: { reason: request.reason ?? '' } } : {}),
      };
    });
    return c.json(result, 201);
  });

  app.get('/admin/promotions', deps.admin, (c) => {
    const name = c.req.query('name') ?? '';
    const promotions: PromotionRecord[] = storage
      .promotions(name, MAX_PROMOTIONS_LISTED)
      .map((p) => ({
        name: p.name,
        from: p.fromVersion,
        served: p.servedVersion,
        at: p.at,
        override: p.override,
        reason: p.reason,
        evidence: p.evidence,
      }));
    return c.json({ promotions });
  });

  return app;
}
