/**
 * The collector's model step: after a popularity histogram or a pair-count batch is released, the
 * private item-item model (`cooccurrence`) is rebuilt from the newest released sums of both kinds
 * and the catalog's public fields (src/models/cooccurrence-build.ts) and stored as a new version
 * of `cooccurrence`: a candidate. What devices use is `cooccurrence.served`, copied only by the
 * operator's `POST /v1/admin/promote` (after the federated evaluation says the candidate wins).
 */
import {
  buildCooccurrence,
  type CooccurrenceParams,
  DEFAULT_COOCCURRENCE_PARAMS,
  type Release,
} from '../../models/cooccurrence-build.ts';
import { type PublicItem, publicItemOf } from '../../models/public-items.ts';
import { COOCCURRENCE_MODEL } from '../../protocol/cooccurrence.ts';
import { type DapTask, DapTaskSchema } from '../../protocol/dap.ts';
import type { ServerStorage } from '../storage.ts';
import type { DapStorage, StoredResult } from './storage.ts';

/** The model version a release produced. */
export interface PublishedModel {
  readonly name: string;
  readonly version: number;
  readonly items: number;
  /** Released pairs that cleared the noise threshold (0 without a pair release). */
  readonly pairs: number;
  readonly kernel: string;
  /** Size of its flat vector in bytes (the layout adds the item ids). */
  readonly bytes: number;
}

function taskOf(dap: DapStorage, id: string): DapTask | null {
  const row = dap.tasks().find((t) => t.id === id);
  if (row === undefined) return null;
  const parsed = DapTaskSchema.safeParse(JSON.parse(row.body));
  return parsed.success ? parsed.data : null;
}

/** A stored result's task document and released sum (null when the task is gone or malformed). */
function stored(
  dap: DapStorage,
  result: StoredResult | null,
): { doc: DapTask; sum: number[]; reports: number } | null {
  if (result === null) return null;
  const doc = taskOf(dap, result.taskId);
  const body = JSON.parse(result.body) as { counts?: unknown; sum?: unknown };
  const sum = doc?.measurement.kind === 'item-histogram' ? body.counts : body.sum;
  if (doc === null || !Array.isArray(sum) || !sum.every((v) => typeof v === 'number')) return null;
  return { doc, sum, reports: result.reportCount };
}

/** The newest release of a measurement kind with its task's noise, or null. */
function latestRelease<K extends 'item-histogram' | 'pair-counts'>(
  dap: DapStorage,
  kind: K,
): Release<Extract<DapTask['measurement'], { kind: K }>> | null {
  const s = stored(dap, dap.latestResult(kind));
  const measurement = s?.doc.measurement;
  if (s === null || measurement?.kind !== kind) return null;
  const { noise, id } = s.doc;
  return {
    taskId: id,
    measurement: measurement as Extract<DapTask['measurement'], { kind: K }>,
    sigma: noise.sigma,
    rho: noise.rho,
    reports: s.reports,
    sum: s.sum,
  };
}

/** The live catalog's public fields by item id. */
export function publicCatalog(server: ServerStorage): Map<string, PublicItem> {
  const out = new Map<string, PublicItem>();
  for (const row of server.catalogLive()) {
    const item = publicItemOf(JSON.parse(row.body) as unknown);
    if (item !== null) out.set(item.id, item);
  }
  return out;
}

/**
 * Builds the private item-item model from the newest histogram (required) and pair-count
 * releases and stores it as the next `cooccurrence` version; null when no histogram is released.
 */
export function publishCooccurrence(
  deps: { readonly dap: DapStorage; readonly server: ServerStorage },
  delta: number,
  params: CooccurrenceParams = DEFAULT_COOCCURRENCE_PARAMS,
): PublishedModel | null {
  const histogram = latestRelease(deps.dap, 'item-histogram');
  if (histogram === null) return null;
  const pairs = latestRelease(deps.dap, 'pair-counts');
  const served = buildCooccurrence({
    histogram,
    pairs,
    catalog: publicCatalog(deps.server),
    params,
    delta,
  });
  const version = (deps.server.latestVersion(COOCCURRENCE_MODEL) ?? -1) + 1;
  deps.server.insertModel({
    name: COOCCURRENCE_MODEL,
    version,
    params: served.params,
    layout: JSON.stringify(served.layout),
    state: [],
  });
  const { kernel } = served.layout;
  return {
    name: COOCCURRENCE_MODEL,
    version,
    items: served.layout.itemIds.length,
    pairs: served.layout.pairs.count,
    kernel: kernel.kind === 'attribute' ? `${kernel.field} (τ ${kernel.tau})` : kernel.kind,
    bytes: served.params.byteLength,
  };
}
