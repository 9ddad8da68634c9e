/**
 * Published, versioned parameters of a secure-aggregation task (DAP draft 09 with Prio3, as
 * implemented by `@divviup/dap` 0.9): what a report measures, how it is encoded as a Prio3 SumVec,
 * the aggregators, the collection window, the minimum batch and the noise each aggregator adds.
 * The client checks every field before it makes a report (see src/privacy/dap-accounting.ts for
 * the sensitivity and cost it recomputes); the aggregators refuse reports for other parameters.
 */
import { z } from 'zod';

/** Version `v` of the task document; bump on any change of meaning. */
export const DAP_TASK_VERSION = 1 as const;

/** A DAP task id: 32 bytes, unpadded base64url (43 characters). */
export const DapTaskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'a task id is 32 bytes in unpadded base64url (43 characters)');

/** The VDAF of every Hearth task: Prio3SumVec over Field128 with one proof (VDAF draft 08). */
export const SumVecSchema = z.strictObject({
  type: z.literal('sumVec'),
  /** Entries per report. */
  length: z.number().int().min(1).max(100_000),
  /** Each entry is proved to lie in [0, 2^bits). */
  bits: z.number().int().min(1).max(16),
  /** Prio3's gadget chunk; 200–400 is fastest at length 10,000 with this library. */
  chunkLength: z.number().int().min(1).max(100_000),
});

/**
 * The visitor's last `maxItems` distinct positive items as a multi-hot vector over `items` (the
 * coordinate order). One visitor changes the sum by at most √maxItems in L2.
 */
export const ItemHistogramSchema = z.strictObject({
  kind: z.literal('item-histogram'),
  items: z.array(z.string().min(1)).min(1).max(100_000),
  maxItems: z.number().int().min(1).max(1_000),
});

/**
 * The visitor's local ranker delta over `features`, clipped to L2 norm `clip`, scaled by `scale`
 * and rounded stochastically to integers, as `[max(d, 0) (d entries), max(−d, 0) (d entries), 1]`:
 * a sign-split vector plus a count entry, so the collector divides by a noisy count and no offset
 * enters the sensitivity.
 */
export const RankerUpdateSchema = z.strictObject({
  kind: z.literal('ranker-update'),
  /** Ranker version the delta is computed against. */
  modelVersion: z.number().int().nonnegative(),
  features: z.array(z.string().min(1)).min(1).max(64),
  clip: z.number().positive().finite(),
  scale: z.number().positive().finite(),
  localSteps: z.number().int().min(1).max(1_000),
  learningRate: z.number().positive().finite(),
});

/**
 * Co-occurrence of item pairs in the visitor's recent history: for each published cell (an
 * unordered pair of `items` indices), the sum over the visitor's last `maxEvents` positive events
 * of `decay^(gap−1)` for the two items appearing at most `window` events apart, capped at 1 per
 * cell; the vector is scaled to L2 norm ≤ `clip`, multiplied by `scale` and rounded stochastically
 * to integers (entries 0..`scale`), then projected back to integer L2 ≤ `clip`·`scale`. The cells
 * are chosen from public data (the catalog and earlier released statistics), never from anyone's
 * history.
 */
export const PairCountsSchema = z.strictObject({
  kind: z.literal('pair-counts'),
  /** The item ids the cells index (e.g. the head of the released popularity). */
  items: z.array(z.string().min(1)).min(2).max(10_000),
  /** Unordered pairs `[a, b]` of `items` indices, a < b: one entry each, in this order. */
  cells: z
    .array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]))
    .min(1)
    .max(100_000),
  maxEvents: z.number().int().min(2).max(1_000),
  window: z.number().int().min(1).max(1_000),
  decay: z.number().positive().max(1),
  /** L2 bound of the weight vector before scaling. */
  clip: z.number().positive().finite(),
  /** Integer steps per unit of weight (entries lie in 0..scale). */
  scale: z.number().int().min(1).max(1_000),
});

/**
 * A federated evaluation: the visitor's device ranks its own held-out last positive item with the
 * `candidate` model and with the `served` one and reports one of three outcomes as a one-hot
 * vector `[candidate better, served better, tie]` (a better rank within the top `k`).
 */
export const ModelEvaluationSchema = z.strictObject({
  kind: z.literal('model-evaluation'),
  /** Model name as published at `/v1/model` (e.g. `cooccurrence`). */
  model: z.string().min(1).max(57),
  /** The candidate: version `candidate` of `model` (`GET /v1/model?name=<model>&version=`). */
  candidate: z.number().int().nonnegative(),
  /**
   * What devices serve now: version `served` of `<model>.served` (the operator's promoted copy),
   * or null when none is promoted yet (the candidate is then compared with the engine without the
   * model). A promotion checks that this is still the served version.
   */
  served: z.number().int().nonnegative().nullable(),
  k: z.number().int().min(1).max(1_000),
});

/** What one report measures. */
export const DapMeasurementSchema = z.discriminatedUnion('kind', [
  ItemHistogramSchema,
  RankerUpdateSchema,
  PairCountsSchema,
  ModelEvaluationSchema,
]);

/**
 * Noise each aggregator adds to its aggregate share: a discrete Gaussian N_Z(0, σ²) per entry
 * (Canonne, Kamath & Steinke 2020). Either aggregator's noise alone makes the released sum
 * ρ-zCDP with ρ = Δ²/(2σ²), Δ the L2 sensitivity of one report, so the guarantee holds as long as
 * one aggregator follows the protocol.
 */
export const DapNoiseSchema = z.strictObject({
  mechanism: z.literal('discrete-gaussian'),
  sigma: z.number().positive().finite(),
  /** The L2 sensitivity of one report, as the task's author computed it. */
  sensitivity: z.number().positive().finite(),
  /** zCDP ρ of one report: sensitivity² / (2 σ²). */
  rho: z.number().positive().finite(),
});

/** One task document, as the leader publishes it. */
export const DapTaskSchema = z
  .strictObject({
    v: z.literal(DAP_TASK_VERSION),
    id: DapTaskIdSchema,
    /** A readable name for the privacy panel ("item popularity"). */
    name: z.string().min(1).max(200),
    measurement: DapMeasurementSchema,
    vdaf: SumVecSchema,
    noise: DapNoiseSchema,
    /** Reports are taken for timestamps in [start, end) (epoch ms); one report per visitor. */
    window: z.strictObject({
      start: z.number().int().nonnegative(),
      end: z.number().int().positive(),
    }),
    /** DAP time precision: report times are rounded down to a multiple of it. */
    timePrecisionSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400 * 7),
    /** Nothing is released for a batch of fewer reports. */
    minBatch: z.number().int().min(2),
    /** DAP endpoints of the two aggregators (absolute URLs ending in '/'). */
    leader: z.url(),
    helper: z.url(),
  })
  .refine((t) => t.window.end > t.window.start, {
    message: 'window.end must be after window.start',
    path: ['window', 'end'],
  });

/** One task document. */
export type DapTask = z.infer<typeof DapTaskSchema>;
/** What one report measures. */
export type DapMeasurement = z.infer<typeof DapMeasurementSchema>;

/** The leader's list of open tasks (`GET /v1/dap/tasks`). */
export const DapTaskListSchema = z.strictObject({
  v: z.literal(DAP_TASK_VERSION),
  tasks: z.array(DapTaskSchema).max(64),
});

/** The leader's list of open tasks. */
export type DapTaskList = z.infer<typeof DapTaskListSchema>;
