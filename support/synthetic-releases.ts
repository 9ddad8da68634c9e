/**
 * Synthetic DP releases for the private models' benches and tests: an n-item catalog with a year
 * and a category per item, a Zipf-like popularity histogram released with discrete-Gaussian-sized
 * noise, and a pair-count release over the cells the real task design picks. Shapes and sizes
 * are those of a real release; the values are made up (seeded).
 */
import {
  buildCooccurrence,
  type HistogramRelease,
  type PairRelease,
  type ServedCooccurrence,
} from '../src/models/cooccurrence-build.ts';
import {
  DEFAULT_PRIVATE_STATISTICS,
  histogramMeasurement,
  pairCountsMeasurement,
  taskParts,
} from '../src/models/private-tasks.ts';
import type { PublicItem } from '../src/models/public-items.ts';
import { COOCCURRENCE_MODEL } from '../src/protocol/cooccurrence.ts';
import { type ModelEntry, servedName } from '../src/protocol/model.ts';
import { gaussian, seededRng } from '../src/shared/rng.ts';
import { modelUploadBody } from '../src/wire/model-upload.ts';

/** A synthetic catalog and releases over it. */
export interface SyntheticReleases {
  readonly itemIds: string[];
  readonly catalog: Map<string, PublicItem>;
  readonly histogram: HistogramRelease;
  readonly pairs: PairRelease;
}

/** Releases for an n-item catalog at a visitor-level ρ split 30/70 (seeded). */
export function syntheticReleases(n: number, seed: number, rho = 1): SyntheticReleases {
  const rng = seededRng(seed);
  const itemIds = Array.from({ length: n }, (_, i) => `i${i}`);
  const catalog = new Map<string, PublicItem>(
    itemIds.map((id, i) => [
      id,
      { id, categories: [`c${i % 20}`], numbers: { year: 1950 + Math.floor(rng() * 70) } },
    ]),
  );
  const hm = histogramMeasurement(itemIds);
  const hParts = taskParts(hm, 0.3 * rho);
  const hSigma = hParts.noise.sigma;
  const histogram: HistogramRelease = {
    taskId: 'synthetic-histogram',
    measurement: hm,
    sigma: hSigma,
    rho: hParts.noise.rho,
    reports: 10_000,
    sum: itemIds.map((_, i) =>
      Math.round(2_000 / (i + 1) ** 0.8 + hSigma * Math.SQRT2 * gaussian(rng)),
    ),
  };
  const years = Float64Array.from(itemIds, (id) => catalog.get(id)?.numbers.year ?? 0);
  const pm = pairCountsMeasurement(itemIds, histogram.sum, years, DEFAULT_PRIVATE_STATISTICS);
  const pParts = taskParts(pm, 0.7 * rho);
  const pSigma = pParts.noise.sigma;
  const pairs: PairRelease = {
    taskId: 'synthetic-pairs',
    measurement: pm,
    sigma: pSigma,
    rho: pParts.noise.rho,
    reports: 10_000,
    // About half the cells carry a count well above the noise, as at ε = 8 with 10,000 visitors.
    sum: pm.cells.map(() =>
      Math.round((rng() < 0.6 ? 200 * rng() : 0) + pSigma * Math.SQRT2 * gaussian(rng)),
    ),
  };
  return { itemIds, catalog, histogram, pairs };
}

/** The collector's model built from `syntheticReleases(n, seed)` (δ = 10⁻⁶). */
export function syntheticServed(n: number, seed: number): ServedCooccurrence {
  const { histogram, pairs, catalog } = syntheticReleases(n, seed);
  return buildCooccurrence({ histogram, pairs, catalog, delta: 1e-6 });
}

/** A built model as the `GET /v1/model` entry of `cooccurrence.served` that devices download. */
export function servedCooccurrenceEntry(served: ServedCooccurrence, version = 1): ModelEntry {
  const { name, encoding, data, layout } = modelUploadBody(
    servedName(COOCCURRENCE_MODEL),
    served.params,
    served.layout,
  );
  return {
    name,
    version,
    length: served.params.length,
    encoding,
    data,
    ...(layout ? { layout } : {}),
  };
}
