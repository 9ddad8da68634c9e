/**
 * Federated rounds on the server: the round config, update validation (version, shape,
 * finiteness, per-coordinate and norm bounds of ./update-bounds.ts), durable acceptance with
 * idempotent ids, and aggregation once k updates of the current version arrived — all in SQLite
 * transactions so a crash at any point neither loses a 202-acknowledged update nor counts one
 * twice.
 */

import { type RoundConfig, type RoundSettings, RoundSettingsSchema } from '../protocol/round.ts';
import type { UpdateHeader } from '../protocol/update.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { decodeQ8 } from '../wire/quantize.ts';
import { HttpError } from './http-error.ts';
import type { ServerStorage } from './storage.ts';
import type { AggregationStrategy } from './strategy.ts';
import { type UpdateMeasure, updateBounds } from './update-bounds.ts';

/** Round settings with every default filled in. */
export type RoundSettingsFull = Required<RoundSettings>;

/**
 * Defaults: the collab model, C = 1, z = 0 (set by the operator), k = 16, 1 h rounds, 1 local
 * step at lr 1.
 */
export const DEFAULT_ROUND_SETTINGS: RoundSettingsFull = {
  model: 'collab',
  clipNorm: 1,
  noiseMultiplier: 0,
  minUpdates: 16,
  roundDurationMs: 3_600_000,
  localSteps: 1,
  learningRate: 1,
};

/** Model versions kept in storage (older ones are deleted after each aggregation). */
const KEEP_VERSIONS = 3;

/** Creates the round service over storage and a strategy. */
export function createRounds(deps: {
  storage: ServerStorage;
  /** The strategy that aggregates a model's updates. */
  strategy: (model: string) => AggregationStrategy;
  now: () => number;
  onError?: (error: unknown) => void;
}) {
  const { storage, strategy, now } = deps;

  const settings = (): RoundSettingsFull => {
    const raw = storage.getSetting('round');
    const parsed = raw === null ? null : RoundSettingsSchema.safeParse(JSON.parse(raw));
    return { ...DEFAULT_ROUND_SETTINGS, ...(parsed?.success ? parsed.data : {}) };
  };
  /** The model the rounds train now (an operator setting). */
  const trainedModel = (): string => settings().model;

  const deadline = (s: RoundSettingsFull): number => {
    const started = Number(storage.getSetting('round_started_at') ?? '0');
    const t = now();
    // The deadline is a hint for clients; an expired window rolls over without a version change.
    const elapsed = Math.max(0, t - started);
    return started + (Math.floor(elapsed / s.roundDurationMs) + 1) * s.roundDurationMs;
  };

  // Round config is read on every request: avoid loading the parameters (megabytes) for it.
  let shape: { model: string; version: number; length: number } | null = null;
  const currentShape = (model: string): { version: number; length: number } | null => {
    const version = storage.latestVersion(model);
    if (version === null) return null;
    if (shape?.version !== version || shape.model !== model)
      shape = { model, version, length: storage.modelLength(model, version) };
    return shape;
  };

  const config = (): RoundConfig | null => {
    const s = settings();
    const model = s.model;
    const current = currentShape(model);
    if (current === null) return null;
    return {
      v: PROTOCOL_VERSION,
      kind: 'round',
      model,
      modelVersion: current.version,
      length: current.length,
      clipNorm: s.clipNorm,
      noiseMultiplier: s.noiseMultiplier,
      minUpdates: s.minUpdates,
      deadline: deadline(s),
      localSteps: s.localSteps,
      learningRate: s.learningRate,
      maxUpdateNorm: updateBounds(s.clipNorm, s.noiseMultiplier, current.length).maxNorm,
    };
  };

  /** Aggregates if ≥ k pending updates of the current version exist; returns the new version. */
  const maybeAggregate = (): number | null =>
    storage.transaction(() => {
      const model = trainedModel();
      const version = storage.latestVersion(model);
      if (version === null || storage.pendingCount(model, version) < settings().minUpdates)
        return null;
      const current = storage.latestModel(model);
      if (current === null) return null;
      // Snapshot the ids first: exactly these updates are decoded, averaged and marked consumed.
      const ids = storage.pendingIds(model, current.version);
      const wanted = new Set(ids);
      const updates = (function* () {
        for (const u of storage.iteratePending(model, current.version)) {
          if (!wanted.has(u.id)) continue;
          yield u.encoding === 'f32'
            ? new Float32Array(new Uint8Array(u.data).buffer)
            : decodeQ8(u.data, u.length);
        }
      })();
      const result = strategy(model).aggregate({
        global: current.params,
        updates,
        state: current.state,
      });
      const next = current.version + 1;
      storage.insertModel({
        name: model,
        version: next,
        params: result.params,
        layout: current.layout,
        state: result.state,
      });
      for (const id of ids) storage.consumeUpdate(id, next);
      storage.prune(model, next, KEEP_VERSIONS);
      storage.setSetting('round_started_at', String(now()));
      return next;
    });

  /**
   * Validates and durably stores one update; aggregates when the round is full. `admit` runs
   * after validation, before storing (it throws to refuse, e.g. a sender over its quota).
   */
  const accept = (
    header: UpdateHeader,
    payload: Uint8Array,
    measure: () => UpdateMeasure,
    admit: (round: RoundConfig) => void = () => undefined,
  ) => {
    if (storage.hasUpdate(header.id)) {
      const version = storage.latestVersion(header.model) ?? header.modelVersion;
      return {
        status: 'duplicate' as const,
        pending: storage.pendingCount(header.model, version),
        modelVersion: version,
      };
    }
    const round = config();
    if (round === null)
      throw new HttpError(
        409,
        'stale_version',
        `model '${trainedModel()}' is not published yet; the operator must upload it first.`,
      );
    const reasons: string[] = [];
    if (header.model !== round.model)
      reasons.push(
        `model '${header.model}' is not trained in this round (expected '${round.model}')`,
      );
    if (header.modelVersion !== round.modelVersion) {
      throw new HttpError(
        409,
        'stale_version',
        `update is for model version ${header.modelVersion}, the current version is ${round.modelVersion}; fetch /v1/round and recompute.`,
      );
    }
    if (header.length !== round.length)
      reasons.push(`update has ${header.length} values, the model has ${round.length}`);
    const { finite, norm, maxAbs } = measure();
    const bounds = updateBounds(round.clipNorm, round.noiseMultiplier, round.length);
    const setting = `for C = ${round.clipNorm}, z = ${round.noiseMultiplier}, ${round.length} values`;
    if (!finite) reasons.push('update contains NaN or Infinity');
    else {
      if (norm > bounds.maxNorm)
        reasons.push(
          `update L2 norm ${norm.toFixed(3)} exceeds the bound ${bounds.maxNorm.toFixed(3)} ${setting}`,
        );
      if (maxAbs > bounds.maxCoordinate)
        reasons.push(
          `update value ${maxAbs.toFixed(3)} exceeds the per-value bound ${bounds.maxCoordinate.toFixed(3)} ${setting}`,
        );
    }
    if (reasons.length > 0) throw new HttpError(400, 'invalid', 'update rejected', reasons);
    admit(round);
    const inserted = storage.transaction(() =>
      storage.insertUpdate({
        id: header.id,
        model: header.model,
        modelVersion: header.modelVersion,
        encoding: header.encoding,
        length: header.length,
        data: payload,
      }),
    );
    let aggregated: number | null = null;
    if (inserted) {
      // The update is committed; an aggregation failure (e.g. a full disk) must not turn the
      // 202 into an error. Aggregation is retried on the next update and at start-up.
      try {
        aggregated = maybeAggregate();
      } catch (error) {
        deps.onError?.(error);
      }
    }
    return {
      status: inserted ? ('accepted' as const) : ('duplicate' as const),
      pending: storage.pendingCount(round.model, aggregated ?? round.modelVersion),
      modelVersion: aggregated ?? round.modelVersion,
    };
  };

  return { trainedModel, settings, config, accept, maybeAggregate };
}

/** The round service type. */
export type Rounds = ReturnType<typeof createRounds>;
