/** Wire schema of the federated round configuration (GET /v1/round, admin POST /v1/admin/round). */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';

/** The parameters a client needs to take part in the current round. */
export const RoundConfigSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('round'),
  /** Name of the model trained in this round (e.g. "collab"). */
  model: z.string().min(1).max(64),
  /** Global model version the update must be computed against. */
  modelVersion: z.number().int().nonnegative(),
  /** Number of float parameters of the model (the update's length). */
  length: z.number().int().positive(),
  /** L2 clip norm C applied to the delta before noise. */
  clipNorm: z.number().positive(),
  /** Noise multiplier z: the client adds N(0, (zC)²) per coordinate. */
  noiseMultiplier: z.number().nonnegative(),
  /** Server aggregates once this many updates of `modelVersion` arrived. */
  minUpdates: z.number().int().positive(),
  /** Milliseconds since the epoch after which updates for this round are not accepted. */
  deadline: z.number().int().nonnegative(),
  /** Local SGD steps and learning rate the client should use. */
  localSteps: z.number().int().positive().max(100),
  learningRate: z.number().positive(),
  /** Largest L2 norm the server accepts for a noised update (see docs/server.md). */
  maxUpdateNorm: z.number().positive(),
});
export type RoundConfig = z.infer<typeof RoundConfigSchema>;

/** Admin body to (re)configure rounds; omitted fields keep their current value. */
export const RoundSettingsSchema = z.strictObject({
  /** Name of the published model the rounds train (default "collab"). */
  model: z.string().min(1).max(64).optional(),
  clipNorm: z.number().positive().optional(),
  noiseMultiplier: z.number().nonnegative().optional(),
  minUpdates: z.number().int().positive().max(100_000).optional(),
  roundDurationMs: z.number().int().positive().optional(),
  localSteps: z.number().int().positive().max(100).optional(),
  learningRate: z.number().positive().optional(),
});
export type RoundSettings = z.infer<typeof RoundSettingsSchema>;
