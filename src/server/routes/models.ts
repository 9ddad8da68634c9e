/**
 * Model routes (mounted under /v1): clients download the published models; the operator
 * uploads a model version and promotes a trained version to the one clients recommend with.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import {
  layoutLength,
  type ModelsResponse,
  ModelUploadSchema,
  PromoteSchema,
  servedName,
} from '../../protocol/model.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import type { ModelBodies } from '../model-bodies.ts';
import { parseOrReject, readJson } from '../read-body.ts';
import type { ServerStorage } from '../storage.ts';

/** Served versions kept (older copies are deleted on each promotion). */
const KEEP_SERVED_VERSIONS = 2;

/** A promotion request is a name and a version: a small cap is plenty. */
const PROMOTE_BYTES = 64 * 1024;

/** What the model routes need. */
export interface ModelRoutesDeps {
  readonly storage: ServerStorage;
  readonly modelBodies: ModelBodies;
  readonly now: () => number;
  /** Guard of the operator's endpoints. */
  readonly admin: MiddlewareHandler;
  readonly adminBytes: number;
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
    const wanted = c.req.query('name');
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
  // on request, so rounds never change what clients recommend with.
  app.post('/admin/promote', deps.admin, bodySizeLimit({ maxBytes: PROMOTE_BYTES }), async (c) => {
    const { name, version } = parseOrReject(PromoteSchema, await readJson(c), 'promotion rejected');
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
      const next = (storage.latestVersion(target) ?? -1) + 1;
      storage.insertModel({
        name: target,
        version: next,
        params: latest.params,
        layout: latest.layout,
        state: [],
      });
      storage.prune(target, next, KEEP_SERVED_VERSIONS);
      return { name: target, version: next, from: latest.version };
    });
    return c.json(result, 201);
  });

  return app;
}
