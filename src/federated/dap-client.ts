/**
 * The client side of secure aggregation (DAP draft 09 with Prio3, through `@divviup/dap`): for
 * each task the leader publishes (`GET /v1/dap/tasks`), check it, make the measurement from the
 * visitor's own data, make one report and upload it, every request through the privacy gate.
 *
 * Checks before anything is computed (a refused task sends nothing and spends nothing):
 * - the task is consistent (`checkDapTask`: length, bits, sensitivity and the ρ its noise gives);
 * - its helper is the one the SITE configured: the leader publishes the tasks, and a leader that
 *   could name the helper could name one it controls and hold both shares;
 * - its collection window is open now;
 * - no report was made for this task and window from this device (the ledger's once key
 *   `dap:<task id>:<window start>`, taken in the same atomic step that records the row);
 * - the ledger's caps leave room for the task's ρ.
 * The HPKE configuration of each aggregator is fetched from that aggregator's own URL (the helper's
 * from the configured helper, never relayed by the leader) and pinned for the library
 * (dap-report.ts). Every report is accounted at the task's ρ (zCDP of one aggregator's discrete
 * Gaussian noise over the report's L2 sensitivity; src/privacy/dap-accounting.ts), and the ledger's
 * caps hold over all tasks together: each task's ρ is added to what the window already spent.
 *
 * Measurements: item histograms and pair counts from the visitor's positive items; ranker updates
 * from the engine's local ranking examples; model evaluations by ranking the visitor's held-out last
 * positive item with the served and the candidate model (both downloaded as public data) and
 * reporting which ranked it higher (src/engine/held-out.ts, src/models/promotion.ts).
 */
import type { CooccurrenceModel } from '../engine/cooccurrence-model.ts';
import type { RankerGroup } from '../engine/ranker.ts';
import type { HeldOutRanker } from '../engine/service.ts';
import { cooccurrenceModelOfEntry } from '../models/cooccurrence-format.ts';
import { compareOnHeldOut } from '../models/promotion.ts';
import { checkDapTask } from '../privacy/dap-accounting.ts';
import {
  AlreadyReleasedError,
  BudgetExceededError,
  ConsentRequiredError,
} from '../privacy/errors.ts';
import type { GateRequest, PrivacyGate } from '../privacy/gate.ts';
import type { Ledger } from '../privacy/ledger.ts';
import { rhoToEpsilon } from '../privacy/rdp.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';
import { type DapTask, DapTaskListSchema } from '../protocol/dap.ts';
import { ModelsResponseSchema, servedName } from '../protocol/model.ts';
import type { Rng } from '../shared/rng.ts';
import {
  encodeEvaluation,
  encodeItemHistogram,
  encodePairCounts,
  encodeRankerDelta,
} from '../wire/dap-measurement.ts';
import { getJson, globalModelOf } from './client.ts';
import {
  aggregatorBase,
  DAP_REPORT_TYPE,
  type DapReportMaker,
  type DapReportOutput,
  HPKE_CONFIG_LIST_TYPE,
  hpkeConfigUrl,
  makeDapReport,
  reportUploadUrl,
} from './dap-report.ts';
import { computeRankerDelta, rankerColumns } from './ranker-update.ts';

/** A protocol-level failure talking to the leader or the helper (bad status or body). */
export class DapProtocolError extends Error {
  override readonly name = 'DapProtocolError';
}

/** The visitor's own data a report is measured from (built on the device, never sent as such). */
export interface DapLocalData {
  /** Ids of the items of the visitor's positive events, oldest first (histograms, pair counts). */
  readonly positiveItems: readonly string[];
  /** Candidate groups the engine built from the visitor's events (ranker updates). */
  readonly rankerGroups: readonly RankerGroup[];
  /**
   * Ranks the visitor's held-out last positive item with two item-item models (model
   * evaluations); absent where no engine runs, and then no evaluation is reported.
   */
  readonly heldOutRanks?: HeldOutRanker;
}

/** Models a federated evaluation on this client can rank with (the engine's private model). */
const EVALUABLE_MODELS: ReadonlySet<string> = new Set([COOCCURRENCE_MODEL]);

/** What happened to one task. */
export type DapTaskOutcome =
  | {
      readonly kind: 'reported';
      readonly task: string;
      readonly name: string;
      /** Bytes of the uploaded report. */
      readonly bytes: number;
      readonly rho: number;
      /** ε of this report alone at the ledger's δ. */
      readonly epsilon: number;
      /** The leader's HTTP status (201). */
      readonly status: number;
      /** Milliseconds the library took to make the report. */
      readonly reportMs: number;
    }
  | {
      /** Nothing was sent for this task (and nothing spent). */
      readonly kind: 'skipped';
      readonly task: string;
      readonly name: string;
      readonly reason: string;
    }
  | {
      /** The report's ledger row was recorded (its ρ counts) but it did not arrive or was refused. */
      readonly kind: 'failed';
      readonly task: string;
      readonly name: string;
      readonly reason: string;
    };

/** Options of the DAP client. */
export interface DapClientOptions {
  readonly gate: PrivacyGate;
  /** The gate's ledger: asked about caps and earlier reports before a report is made. */
  readonly ledger: Pick<Ledger, 'canSpend' | 'released' | 'caps'>;
  /** Base URL of the server that publishes the tasks (`/v1/dap/tasks`) and the ranker model. */
  readonly server: string;
  /** The helper's DAP URL as the site configured it; a task naming another helper is refused. */
  readonly helper: string;
  /**
   * Randomness of the stochastic rounding of ranker deltas and pair counts (the platform CSPRNG in
   * production).
   */
  readonly rng: Rng;
  readonly now?: () => number;
  /** Makes the report (default in this thread; the simulation passes worker threads). */
  readonly makeReport?: DapReportMaker;
  /** The published model a ranker-update task's delta is computed against (default `ranker`). */
  readonly rankerModel?: string;
}

/** The once key of a task's window: one report per visitor per task and window. */
export function dapOnceKey(task: Pick<DapTask, 'id' | 'window'>): string {
  return `dap:${task.id}:${task.window.start}`;
}

/**
 * The gate request that uploads one made report to the task's leader: once per task and window,
 * at the task's ρ (the ledger checks consent, the caps and the once key before it leaves).
 */
export function dapUploadRequest(
  task: DapTask,
  bytes: NonNullable<GateRequest['body']>,
  rho: number,
  summary: string,
): GateRequest {
  return {
    url: reportUploadUrl(task),
    method: 'PUT',
    body: bytes,
    contentType: DAP_REPORT_TYPE,
    kind: 'dap-report',
    rho,
    once: dapOnceKey(task),
    summary,
  };
}

/** True when two aggregator URLs name the same endpoint (trailing '/' and case of the host aside). */
export function sameAggregator(a: string, b: string): boolean {
  try {
    return new URL(aggregatorBase(a)).href === new URL(aggregatorBase(b)).href;
  } catch {
    return false;
  }
}

/** Creates the DAP client of one visitor. */
export function createDapClient(options: DapClientOptions) {
  const { gate, ledger } = options;
  const now = options.now ?? Date.now;
  const makeReport = options.makeReport ?? makeDapReport;
  const server = aggregatorBase(options.server);
  const rankerModel = options.rankerModel ?? 'ranker';

  /** The open tasks the server publishes (a consented GET, ε 0). */
  const fetchTasks = async (): Promise<DapTask[]> => {
    const url = new URL('v1/dap/tasks', server).href;
    const parsed = DapTaskListSchema.safeParse(
      await getJson(
        gate,
        url,
        'open secure-aggregation tasks (nothing about this visitor is sent)',
      ),
    );
    if (!parsed.success)
      throw new DapProtocolError(`GET ${url}: not a task list: ${parsed.error.message}`);
    return parsed.data.tasks;
  };

  /** One aggregator's HPKE configuration list, from its own URL, through the gate. */
  const fetchHpkeConfig = async (task: DapTask, role: 'leader' | 'helper'): Promise<Uint8Array> => {
    const url = hpkeConfigUrl(role === 'leader' ? task.leader : task.helper, task.id);
    const response = await gate.send({
      url,
      kind: 'request',
      summary: `HPKE key of the ${role} for task '${task.name}' (nothing about this visitor is sent)`,
    });
    const type = response.headers.get('content-type');
    if (!response.ok || type !== HPKE_CONFIG_LIST_TYPE) {
      throw new DapProtocolError(
        `GET ${url} answered ${response.status} (${type ?? 'no content type'}); the ${role} must serve its HPKE configuration as ${HPKE_CONFIG_LIST_TYPE}`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  };

  /** The ranker delta of a ranker-update task, or why this visitor cannot compute one. */
  const rankerMeasurement = async (
    task: DapTask & { measurement: { kind: 'ranker-update' } },
    local: DapLocalData,
  ): Promise<number[] | string> => {
    const m = task.measurement;
    if (local.rankerGroups.length === 0) return 'no local ranking example';
    const url = new URL(`v1/model?name=${encodeURIComponent(rankerModel)}`, server).href;
    const parsed = ModelsResponseSchema.safeParse(
      await getJson(gate, url, `global model ${rankerModel} (nothing about this visitor is sent)`),
    );
    const entry = parsed.success
      ? parsed.data.models.find((e) => e.name === rankerModel)
      : undefined;
    if (entry === undefined) return `the server publishes no model '${rankerModel}'`;
    const model = globalModelOf(entry);
    if (model.kind !== 'ranker') return `model '${rankerModel}' is not a ranker`;
    if (model.version !== m.modelVersion)
      return `the task trains ${rankerModel} v${m.modelVersion}, the server publishes v${model.version}`;
    const layout = rankerColumns(m.features);
    if (
      entry.layout?.kind !== 'ranker' ||
      entry.layout.features.join('\u0000') !== m.features.join('\u0000')
    )
      return `the task's features differ from the layout of ${rankerModel} v${model.version}`;
    const delta = computeRankerDelta(layout, model.params, local.rankerGroups, {
      localSteps: m.localSteps,
      learningRate: m.learningRate,
    });
    return encodeRankerDelta(m, Array.from(delta), options.rng);
  };

  /**
   * One stored version of a published item-item model, downloaded through the gate as public data
   * (`GET /v1/model?name=&version=`, a ledger row at ε 0), or why it cannot be used.
   */
  const downloadModel = async (
    name: string,
    version: number,
    role: 'candidate' | 'served',
  ): Promise<CooccurrenceModel | string> => {
    const url = new URL(`v1/model?name=${encodeURIComponent(name)}&version=${version}`, server)
      .href;
    const response = await gate.download({
      url,
      summary: `${role} model ${name} v${version} for a federated evaluation on this device (public model; nothing about this visitor is sent)`,
    });
    if (!response.ok)
      return `the server has no ${name} v${version} (GET answered ${response.status})`;
    const parsed = ModelsResponseSchema.safeParse(await response.json());
    const entry = parsed.success
      ? parsed.data.models.find((e) => e.name === name && e.version === version)
      : undefined;
    if (entry === undefined) return `the server's answer holds no ${name} v${version}`;
    try {
      return cooccurrenceModelOfEntry(entry);
    } catch (error) {
      return `${name} v${version} cannot be used by this engine: ${(error as Error).message}`;
    }
  };

  /**
   * The one-hot outcome of a model-evaluation task: the visitor's last positive item held out,
   * ranked with the served and the candidate model; or why this visitor reports nothing.
   */
  const evaluationMeasurement = async (
    task: DapTask & { measurement: { kind: 'model-evaluation' } },
    local: DapLocalData,
  ): Promise<number[] | string> => {
    const m = task.measurement;
    if (!EVALUABLE_MODELS.has(m.model))
      return `this client evaluates only ${[...EVALUABLE_MODELS].join(', ')}, not '${m.model}'`;
    if (local.heldOutRanks === undefined) return 'no engine on this device to rank with';
    // Cheap check first: with fewer than 2 positive events nothing is downloaded.
    if (local.positiveItems.length < 2) return 'fewer than 2 positive events: nothing to hold out';
    const candidate = await downloadModel(m.model, m.candidate, 'candidate');
    if (typeof candidate === 'string') return candidate;
    const served =
      m.served === null ? null : await downloadModel(servedName(m.model), m.served, 'served');
    if (typeof served === 'string') return served;
    const ranks = await local.heldOutRanks({ served, candidate }, m.k);
    if (ranks === null) return 'fewer than 2 positive events on catalog items: nothing to hold out';
    return encodeEvaluation(compareOnHeldOut(ranks.servedRank, ranks.candidateRank, m.k));
  };

  /** The measurement of `task` from the visitor's data, or why there is none. */
  const measure = async (task: DapTask, local: DapLocalData): Promise<number[] | string> => {
    const m = task.measurement;
    switch (m.kind) {
      case 'item-histogram': {
        const vector = encodeItemHistogram(m, local.positiveItems);
        return vector.includes(1) ? vector : 'no positive event with an item the task counts';
      }
      case 'ranker-update':
        return rankerMeasurement({ ...task, measurement: m }, local);
      case 'pair-counts': {
        const vector = encodePairCounts(m, local.positiveItems, options.rng);
        return vector.some((v) => v > 0)
          ? vector
          : "no pair of the task's items among the recent positive events";
      }
      case 'model-evaluation':
        return evaluationMeasurement({ ...task, measurement: m }, local);
      default: {
        const never: never = m;
        return `unknown measurement ${JSON.stringify(never)}`;
      }
    }
  };

  /** Why `task` must not get a report from this device now, or null; and the ρ it costs. */
  const vet = async (task: DapTask): Promise<{ reason: string } | { rho: number }> => {
    let rho: number;
    try {
      rho = checkDapTask(task);
    } catch (error) {
      return { reason: (error as Error).message };
    }
    if (!sameAggregator(task.helper, options.helper))
      return {
        reason: `the task names the helper ${task.helper}, the site configured ${options.helper}: a leader may not choose the helper`,
      };
    const t = now();
    if (t < task.window.start || t >= task.window.end)
      return { reason: 'its collection window is not open' };
    if (await ledger.released(dapOnceKey(task)))
      return { reason: 'this device already reported in this window' };
    const decision = await ledger.canSpend({ epsilon: 0, rho });
    if (!decision.ok) return { reason: `privacy budget: ${decision.reason}` };
    return { rho };
  };

  /** The encoded report of `task`, or why none is made (nothing has been sent or spent yet). */
  const prepare = async (
    task: DapTask,
    local: DapLocalData,
  ): Promise<{ reason: string } | { rho: number; made: DapReportOutput }> => {
    const vetted = await vet(task);
    if ('reason' in vetted) return vetted;
    try {
      const measurement = await measure(task, local);
      if (typeof measurement === 'string') return { reason: measurement };
      const [leader, helper] = await Promise.all([
        fetchHpkeConfig(task, 'leader'),
        fetchHpkeConfig(task, 'helper'),
      ]);
      const made = await makeReport({
        task,
        measurement,
        hpkeConfigs: { leader, helper },
        timestamp: now(),
      });
      return { rho: vetted.rho, made };
    } catch (error) {
      return { reason: (error as Error).message };
    }
  };

  /** Checks, measures, reports and uploads one task; never throws. */
  const report = async (task: DapTask, local: DapLocalData): Promise<DapTaskOutcome> => {
    const base = { task: task.id, name: task.name };
    const prepared = await prepare(task, local);
    if ('reason' in prepared) return { kind: 'skipped', ...base, reason: prepared.reason };
    const { rho, made } = prepared;
    const epsilon = rhoToEpsilon(rho, ledger.caps.delta);
    let response: Response;
    try {
      response = await gate.send(
        dapUploadRequest(
          task,
          made.bytes,
          rho,
          `DAP report for task '${task.name}' (${task.measurement.kind}, ${task.vdaf.length} entries, secret-shared between leader and helper): ${made.bytes.byteLength} bytes, ρ = ${rho.toPrecision(3)}, ε = ${epsilon.toFixed(2)} at δ = ${ledger.caps.delta}`,
        ),
      );
    } catch (error) {
      if (
        error instanceof ConsentRequiredError ||
        error instanceof BudgetExceededError ||
        error instanceof AlreadyReleasedError
      )
        return { kind: 'skipped', ...base, reason: error.message };
      return { kind: 'failed', ...base, reason: (error as Error).message };
    }
    if (!response.ok) {
      return {
        kind: 'failed',
        ...base,
        reason: `the leader answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      };
    }
    return {
      kind: 'reported',
      ...base,
      bytes: made.bytes.byteLength,
      rho,
      epsilon,
      status: response.status,
      reportMs: made.ms,
    };
  };

  return {
    fetchTasks,
    report,
    /**
     * Reports to every open task the server publishes, one after another (each report is
     * CPU-heavy); `local` is built once, on the first task. Throws only when the task list cannot
     * be read (nothing was sent then but that GET).
     */
    async contribute(local: () => Promise<DapLocalData>): Promise<DapTaskOutcome[]> {
      const tasks = await fetchTasks();
      const out: DapTaskOutcome[] = [];
      let data: DapLocalData | undefined;
      for (const task of tasks) {
        data ??= await local();
        out.push(await report(task, data));
      }
      return out;
    },
  };
}

/** The DAP client's type. */
export type DapClient = ReturnType<typeof createDapClient>;
