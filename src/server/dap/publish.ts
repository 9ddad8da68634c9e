/**
 * What the leader publishes from a collected batch, once per task: for an `item-histogram` task
 * the popularity prior clients download (GET /v1/aggregates serves it by default once it exists),
 * for a `ranker-update` task one FedAvg step on the `ranker` model, stored as a new version
 * (promotion to what clients use stays the operator's `POST /v1/admin/promote`), for a
 * `model-evaluation` task the noisy win/loss/tie counts and the promotion decision on them
 * (evaluation.ts; the promotion route reads it). A histogram or
 * pair-count release also rebuilds the private item-item model (`cooccurrence`, a candidate
 * version; publish-models.ts). The result and the model version are written in one transaction,
 * so a repeated collect publishes nothing twice.
 */

import { DEFAULT_CAPS } from '../../privacy/ledger.ts';
import { rhoToEpsilon } from '../../privacy/rdp.ts';
import type { DapTask } from '../../protocol/dap.ts';
import type { Aggregates } from '../../protocol/telemetry.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { decodeRankerSum } from '../../wire/dap-measurement.ts';
import { HttpError } from '../http-error.ts';
import type { ServerStorage } from '../storage.ts';
import { fedAvg } from '../strategy.ts';
import { type EvaluationPublished, evaluationPublished } from './evaluation.ts';
import { type PublishedModel, publishCooccurrence } from './publish-models.ts';
import type { DapStorage } from './storage.ts';

const Z95 = 1.959964;

/** What a collection released and what was published from it. */
export interface CollectSummary {
  readonly taskId: string;
  readonly name: string;
  readonly kind: DapTask['measurement']['kind'];
  /** Verified reports in the batch. */
  readonly reports: number;
  /** Noise σ each aggregator added to every entry. */
  readonly sigma: number;
  /** zCDP ρ of one visitor's report (with one honest aggregator). */
  readonly rho: number;
  /** The same as (ε, δ)-DP. */
  readonly epsilon: number;
  readonly delta: number;
  readonly published:
    | { readonly kind: 'popularity'; readonly items: number }
    | {
        readonly kind: 'ranker';
        readonly fromVersion: number;
        readonly toVersion: number;
        readonly noisyCount: number;
      }
    | EvaluationPublished
    | {
        /** Kept as released (noisy sums) for the model that is built from it. */
        readonly kind: 'released';
        readonly entries: number;
      };
  /**
   * The private item-item model version built from this and the other newest releases (a
   * histogram or pair-count batch; src/server/dap/publish-models.ts), stored as a candidate.
   */
  readonly model?: PublishedModel;
  /** False when this batch had been collected and published before (nothing changed now). */
  readonly fresh: boolean;
}

interface HistogramBody {
  readonly items: readonly string[];
  readonly counts: readonly number[];
  readonly summary: CollectSummary;
}

/** The privacy figures of a task's release. */
function privacy(doc: DapTask, delta: number) {
  return {
    sigma: doc.noise.sigma,
    rho: doc.noise.rho,
    epsilon: rhoToEpsilon(doc.noise.rho, delta),
    delta,
  };
}

/** A FedAvg step on the ranker from the mean delta; returns the versions and the noisy count. */
function rankerStep(
  server: ServerStorage,
  doc: DapTask,
  m: Extract<DapTask['measurement'], { kind: 'ranker-update' }>,
  sum: readonly number[],
) {
  const { mean, count } = decodeRankerSum(m, sum);
  // The mean divides by the noisy count: when the count itself is lost in the noise (few
  // reports, large σ), the "step" is noise of any size. Apply it only when the count is known,
  // at 95%, to be at least half the task's minimum batch.
  const countLow = count - Z95 * doc.noise.sigma * Math.SQRT2;
  const needed = Math.max(1, doc.minBatch / 2);
  if (countLow < needed)
    throw new HttpError(
      409,
      'too_noisy',
      `task ${doc.id}: the released report count ${count.toFixed(1)} is within its noise (95% lower bound ${countLow.toFixed(1)}, needed ≥ ${needed}); the mean update would be noise, so nothing was applied. Collect a larger batch or publish the task with less noise (σ ${doc.noise.sigma.toFixed(1)} per aggregator).`,
    );
  const current = server.latestModel('ranker');
  if (current === null)
    throw new HttpError(404, 'not_found', 'no ranker model is published; upload one first.');
  if (current.version !== m.modelVersion)
    throw new HttpError(
      409,
      'stale_version',
      `task ${doc.id} holds deltas against ranker version ${m.modelVersion}, the latest is ${current.version}; nothing was applied.`,
    );
  const layout = current.layout === null ? null : (JSON.parse(current.layout) as unknown);
  const features =
    layout !== null && typeof layout === 'object' && 'features' in layout
      ? (layout as { features: string[] }).features
      : null;
  if (features === null)
    throw new HttpError(
      409,
      'invalid',
      'the ranker model has no feature layout to apply a delta to.',
    );
  const delta = new Float32Array(current.params.length);
  m.features.forEach((f, i) => {
    const at = features.indexOf(f);
    if (at < 0)
      throw new HttpError(
        409,
        'invalid',
        `the ranker has no feature '${f}' that task ${doc.id} measures.`,
      );
    delta[at] = mean[i] ?? 0;
  });
  // The released mean is one averaged update: FedAvg (server learning rate 1) adds it.
  const { params } = fedAvg().aggregate({ global: current.params, updates: [delta], state: [] });
  const next = current.version + 1;
  server.insertModel({ name: 'ranker', version: next, params, layout: current.layout, state: [] });
  return { fromVersion: current.version, toVersion: next, noisyCount: count };
}

/** Publishes a collected sum (once per task); returns what was released and published. */
export function publishResult(
  deps: { readonly dap: DapStorage; readonly server: ServerStorage; readonly now: () => number },
  doc: DapTask,
  reports: number,
  sum: readonly number[],
  delta = DEFAULT_CAPS.delta,
): CollectSummary {
  return deps.server.transaction(() => {
    const stored = deps.dap.result(doc.id);
    if (stored !== null) {
      const previous = (JSON.parse(stored.body) as { summary: CollectSummary }).summary;
      return { ...previous, fresh: false };
    }
    const base = {
      taskId: doc.id,
      name: doc.name,
      kind: doc.measurement.kind,
      reports,
      ...privacy(doc, delta),
      fresh: true,
    };
    const m = doc.measurement;
    let summary: CollectSummary;
    let body: unknown;
    if (m.kind === 'item-histogram') {
      summary = { ...base, published: { kind: 'popularity', items: m.items.length } };
      body = { items: m.items, counts: sum, summary } satisfies HistogramBody;
    } else if (m.kind === 'ranker-update') {
      summary = { ...base, published: { kind: 'ranker', ...rankerStep(deps.server, doc, m, sum) } };
      body = { sum, summary };
    } else if (m.kind === 'model-evaluation') {
      summary = { ...base, published: evaluationPublished(doc, m, sum) };
      body = { sum, summary };
    } else {
      summary = { ...base, published: { kind: 'released', entries: sum.length } };
      body = { sum, summary };
    }
    deps.dap.insertResult({
      taskId: doc.id,
      kind: m.kind,
      releasedAt: deps.now(),
      reportCount: reports,
      body: JSON.stringify(body),
    });
    if (m.kind === 'item-histogram' || m.kind === 'pair-counts') {
      const model = publishCooccurrence(deps, delta);
      if (model !== null) summary = { ...summary, model };
    }
    return summary;
  });
}

const parsedPriors = new WeakMap<
  DapStorage,
  {
    readonly key: string;
    readonly body: HistogramBody;
    readonly order: readonly { readonly itemId: string; readonly count: number }[];
  }
>();

/**
 * The newest DAP popularity prior as a GET /v1/aggregates body (top `limit` items by noisy
 * count), or null when none was published. Each count carries both aggregators' noise: variance
 * 2σ², 95% interval count ± 1.96·σ√2.
 */
export function dapPopularity(dap: DapStorage, limit: number): Aggregates | null {
  const stored = dap.latestResult('item-histogram');
  if (stored === null) return null;
  // A 10,000-item prior is ~300 kB of JSON: parse it once per published version.
  const key = `${stored.taskId}/${stored.releasedAt}`;
  let parsed = parsedPriors.get(dap);
  if (parsed?.key !== key) {
    const body = JSON.parse(stored.body) as HistogramBody;
    const order = body.items
      .map((itemId, i) => ({ itemId, count: body.counts[i] ?? 0 }))
      .sort((a, b) => b.count - a.count || (a.itemId < b.itemId ? -1 : 1));
    parsed = { key, body, order };
    parsedPriors.set(dap, parsed);
  }
  const { body, order } = parsed;
  const { summary } = body;
  const variance = 2 * summary.sigma * summary.sigma;
  const half = Z95 * Math.sqrt(variance);
  return {
    v: PROTOCOL_VERSION,
    kind: 'aggregates',
    mechanism: 'dap',
    epsilon: summary.epsilon,
    reports: summary.reports,
    items: order.slice(0, limit).map(({ itemId, count }) => ({
      itemId,
      count,
      variance,
      ci95: [count - half, count + half] as [number, number],
    })),
    taskId: summary.taskId,
    sigma: summary.sigma,
    delta: summary.delta,
  };
}

/** An ETag part that changes whenever a newer popularity prior is published. */
export function dapPopularityVersion(dap: DapStorage): string | null {
  const stored = dap.latestResult('item-histogram');
  return stored === null ? null : `${stored.taskId.slice(0, 12)}-${stored.releasedAt}`;
}
