/**
 * The published models as wire entries (`GET /v1/model`), cached per model version: encoding a
 * model is megabytes of base64, and both the model and the aggregates routes need it.
 */
import { ModelLayoutSchema, type ModelsResponse } from '../protocol/model.ts';
import type { ServerStorage, StoredModel } from './storage.ts';

/** One entry of `GET /v1/model`. */
export type ModelEntry = ModelsResponse['models'][number];

/** A stored model version as its wire entry. */
function entryOf(m: StoredModel): ModelEntry {
  const layout =
    m.layout === null ? undefined : ModelLayoutSchema.safeParse(JSON.parse(m.layout)).data;
  return {
    name: m.name,
    version: m.version,
    length: m.params.length,
    encoding: 'f32-base64' as const,
    data: Buffer.from(m.params.buffer, m.params.byteOffset, m.params.byteLength).toString('base64'),
    ...(layout ? { layout } : {}),
  };
}

/** Creates the cache of model entries over storage (one entry, the latest version, per model). */
export function createModelBodies(storage: ServerStorage) {
  const bodies = new Map<string, { version: number; entry: ModelEntry }>();
  /** The latest version of model `name` as a wire entry, or null when it is not published. */
  const entry = (name: string): ModelEntry | null => {
    const version = storage.latestVersion(name);
    if (version === null) return null;
    const cached = bodies.get(name);
    if (cached?.version === version) return cached.entry;
    const m = storage.latestModel(name);
    if (m === null) return null;
    const fresh = entryOf(m);
    bodies.set(name, { version: m.version, entry: fresh });
    return fresh;
  };
  return {
    entry,
    /**
     * Version `version` of model `name` as a wire entry (the cached one when it is the latest),
     * or null when that version is not stored.
     */
    versionEntry(name: string, version: number): ModelEntry | null {
      if (storage.latestVersion(name) === version) return entry(name);
      const m = storage.model(name, version);
      return m === null ? null : entryOf(m);
    },
  };
}

/** The model-entry cache type. */
export type ModelBodies = ReturnType<typeof createModelBodies>;
