/**
 * Optimized Local Hashing (OLH), a pure ε-LDP frequency oracle.
 * Wang, Blocki, Li & Jha 2017, "Locally Differentially Private Protocols for Frequency
 * Estimation" (USENIX Security), §4.4: g = round(e^ε + 1); the client hashes its item with a
 * fresh random hash H_s into [g] and reports (s, y) where y = H_s(v) with probability
 * p = e^ε/(e^ε + g − 1), otherwise a uniform other value. The server counts the reports that
 * "support" v (H_s(v) = y) and debiases: ĉ(v) = (C(v) − n/g)/(p − 1/g), with
 * Var[ĉ(v)] = n·q(1−q)/(p−q)² + c(v)(1−p−q)/(p−q), q = 1/g (their Eq. (2) with the c(v) term).
 * H_s(v) = seededHash64(itemKey64(v), s): the item's 64-bit key mixed with the seed. A shorter key
 * would merge items whose keys collide (their hashes agree for every seed, so their counts add up).
 */

import { itemKey64, seededHash64 } from '../shared/hash.ts';
import type { Rng } from '../shared/rng.ts';
import { assertEpsilon, PRIVACY_MESSAGES, PrivacyParameterError } from './errors.ts';

/** One OLH report: the hash seed and the perturbed hashed value. Carries no identifier. */
export interface OlhReport {
  readonly seed: number;
  readonly value: number;
}

/** The public parameters of the oracle, shared by client and server. */
export interface OlhParams {
  readonly epsilon: number;
  /** Hash range g. */
  readonly range: number;
  /** Probability of reporting the true hashed value. */
  readonly p: number;
  /** Probability that a report supports an item it does not hold: 1/g. */
  readonly q: number;
}

/** Derives g, p and q for a per-report ε. */
export function olhParams(epsilon: number): OlhParams {
  assertEpsilon(epsilon);
  const e = Math.exp(epsilon);
  const range = Math.max(2, Math.round(e + 1));
  return { epsilon, range, p: e / (e + range - 1), q: 1 / range };
}

/** Encodes one item id into an ε-LDP report (client side). */
export function olhEncode(itemId: string, params: OlhParams, rng: Rng): OlhReport {
  const seed = Math.floor(rng() * 4294967296) >>> 0;
  const key = itemKey64(itemId);
  const truth = seededHash64(key.hi, key.lo, seed, params.range);
  if (rng() < params.p) return { seed, value: truth };
  // Uniform over the g − 1 other values.
  const other = Math.floor(rng() * (params.range - 1));
  return { seed, value: other >= truth ? other + 1 : other };
}

/** Unbiased count estimates for a domain of items, with variance and a 95% interval. */
export interface OlhEstimate {
  readonly itemIds: readonly string[];
  readonly counts: Float64Array;
  readonly variances: Float64Array;
  readonly reports: number;
}

/**
 * Item keys of a domain as [hi, lo] pairs, cached per array: the server folds reports into one
 * domain in many small steps, and hashing 20k ids costs more than a step's own work.
 */
const domainKeyCache = new WeakMap<readonly string[], Uint32Array>();

function domainKeys(itemIds: readonly string[]): Uint32Array {
  const cached = domainKeyCache.get(itemIds);
  if (cached !== undefined && cached.length === 2 * itemIds.length) return cached;
  const keys = new Uint32Array(2 * itemIds.length);
  itemIds.forEach((id, i) => {
    const key = itemKey64(id);
    keys[2 * i] = key.hi;
    keys[2 * i + 1] = key.lo;
  });
  domainKeyCache.set(itemIds, keys);
  return keys;
}

/**
 * Raw support counts C(v) for each item (the expensive part: |domain| × |reports| hashes). The
 * keys of `itemIds` are cached per array, which must therefore not change between calls.
 */
export function olhSupport(
  itemIds: readonly string[],
  reports: readonly OlhReport[],
  range: number,
): Float64Array {
  if (itemIds.length === 0) throw new PrivacyParameterError(PRIVACY_MESSAGES.emptyDomain);
  const keys = domainKeys(itemIds);
  const support = new Float64Array(itemIds.length);
  for (const r of reports) {
    const seed = r.seed >>> 0;
    const value = r.value;
    for (let i = 0; i < itemIds.length; i++) {
      if (seededHash64(keys[2 * i] ?? 0, keys[2 * i + 1] ?? 0, seed, range) === value)
        support[i] = (support[i] ?? 0) + 1;
    }
  }
  return support;
}

/** Turns support counts over n reports into unbiased counts and their variances. */
export function olhDebias(
  itemIds: readonly string[],
  support: Float64Array,
  reports: number,
  params: OlhParams,
): OlhEstimate {
  const { p, q } = params;
  const counts = new Float64Array(support.length);
  const variances = new Float64Array(support.length);
  const base = (reports * q * (1 - q)) / ((p - q) * (p - q));
  for (let i = 0; i < support.length; i++) {
    const c = ((support[i] ?? 0) - reports * q) / (p - q);
    counts[i] = c;
    // The c(v) term uses the estimate clamped at 0 (variance must stay ≥ the base term).
    variances[i] = base + (Math.max(0, c) * (1 - p - q)) / (p - q);
  }
  return { itemIds, counts, variances, reports };
}

/** Estimates every item's count from OLH reports (server side). */
export function olhEstimate(
  itemIds: readonly string[],
  reports: readonly OlhReport[],
  params: OlhParams,
): OlhEstimate {
  return olhDebias(itemIds, olhSupport(itemIds, reports, params.range), reports.length, params);
}

/** The closed-form variance of an item with true count c among n reports. */
export function olhVariance(params: OlhParams, reports: number, trueCount: number): number {
  const { p, q } = params;
  return (reports * q * (1 - q)) / ((p - q) * (p - q)) + (trueCount * (1 - p - q)) / (p - q);
}
