/** Wire schema of an LDP telemetry batch (client → server). */
import { z } from 'zod';
import { PROTOCOL_VERSION, TELEMETRY_VERSION } from './version.ts';

/** Most reports accepted in one batch. */
export const MAX_TELEMETRY_REPORTS = 500;

/** Why a batch of another telemetry version is refused (the server's 400 names it). */
function telemetryVersionMessage(got: unknown): string {
  return `telemetry version ${JSON.stringify(got) ?? 'missing'} is not accepted: this server counts version ${TELEMETRY_VERSION} reports (64-bit item keys; version 1 used 32-bit keys that merge items). Update the Hearth client script.`;
}

/** A batch of OLH reports `[seed, value]`; carries no identifier of any kind. */
export const TelemetryBatchSchema = z.strictObject({
  v: z.literal(TELEMETRY_VERSION, { error: (issue) => telemetryVersionMessage(issue.input) }),
  kind: z.literal('telemetry'),
  mechanism: z.literal('olh'),
  epsilon: z.number().positive().max(20),
  reports: z
    .array(z.tuple([z.number().int().min(0).max(4294967295), z.number().int().min(0)]))
    .min(1)
    .max(MAX_TELEMETRY_REPORTS),
});
export type TelemetryBatch = z.infer<typeof TelemetryBatchSchema>;

/** One item's DP popularity estimate with a normal-approximation 95% interval. */
export const PopularityEstimateSchema = z.strictObject({
  itemId: z.string(),
  count: z.number(),
  variance: z.number().nonnegative(),
  ci95: z.tuple([z.number(), z.number()]),
});

/**
 * Response of GET /v1/aggregates: the single server's OLH estimate (`olh`, ε per report), or the
 * released sum of a secure-aggregation task (`dap`: ε per visitor at `delta`, each count with the
 * variance 2σ² of both aggregators' noise).
 */
export const AggregatesSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('aggregates'),
  mechanism: z.enum(['olh', 'dap']),
  epsilon: z.number(),
  reports: z.number().int().nonnegative(),
  items: z.array(PopularityEstimateSchema),
  /** DAP only: the task whose batch this is, the noise σ per aggregator and the δ of ε. */
  taskId: z.string().optional(),
  sigma: z.number().positive().optional(),
  delta: z.number().positive().optional(),
});
export type Aggregates = z.infer<typeof AggregatesSchema>;
