/**
 * The visitor's state, built on the device from local events: a long-term profile (all events,
 * recency-decayed), a short-term profile (this session), negatives, and the collaborative
 * history. Pure; nothing here is stored or sent.
 */

import { normalized } from '../shared/vector-math.ts';
import type { WeightedRow } from './collab-model.ts';
import { type EngineContext, itemVector } from './context.ts';
import type { EngineEvent, EventKind } from './types.ts';

/** How events become profiles. */
export interface UserStateConfig {
  /** Signed weight of each event kind; negative kinds push similar items down. */
  readonly kindWeights: Readonly<Record<EventKind, number>>;
  /** Per-event recency decay: the k-th latest positive event counts `eventDecay^k + longTermWeight`. */
  readonly eventDecay: number;
  readonly longTermWeight: number;
  /** Decay of the recent-content profile (`recent`), which steers new (cold) items. */
  readonly recentDecay: number;
  /** Recency decay of the history weights for the sequence (item-item) model; steeper, since "next" is local. */
  readonly sequenceDecay: number;
  /** Extra decay by age in days (half-life); Infinity turns it off. */
  readonly halfLifeDays: number;
  /** Events closer than this to the next one belong to the same session. */
  readonly sessionGapMs: number;
  /** Most recent positive items used for "because you viewed X" and neighbours. */
  readonly recentCount: number;
}

/** Defaults (see docs/engine.md). */
export const DEFAULT_USER_STATE_CONFIG: UserStateConfig = {
  kindWeights: { view: 1, click: 1.5, like: 3, add: 3, purchase: 4, dislike: -3, dismiss: -2 },
  eventDecay: 0.9,
  longTermWeight: 0.01,
  sequenceDecay: 0.75,
  recentDecay: 0.5,
  halfLifeDays: Number.POSITIVE_INFINITY,
  sessionGapMs: 30 * 60 * 1000,
  recentCount: 5,
};

/** Profiles and sets derived from the events. */
export interface UserState {
  /** Long-term taste (unit vector) or null without positive events. */
  readonly long: Float32Array | null;
  /** Taste of the last few positive events (steep decay, unit vector) or null. */
  readonly recent: Float32Array | null;
  /** This session's taste (unit vector) or null. */
  readonly short: Float32Array | null;
  /** Direction of disliked/dismissed items (unit vector) or null. */
  readonly negative: Float32Array | null;
  /** Weighted collab rows (positive events), for `collabUserVector`. */
  readonly collabHistory: readonly WeightedRow[];
  /** Weighted sequence-model rows (positive events, `sequenceDecay` recency), for `sequenceScores`. */
  readonly sequenceHistory: readonly WeightedRow[];
  /** Most recent positive rows, latest first. */
  readonly recentRows: readonly number[];
  /** The strongest positive thing the visitor did with each row of `recentRows` (for reasons). */
  readonly actions: ReadonlyMap<number, EventKind>;
  /** Row → number of events on it (any kind). */
  readonly seen: ReadonlyMap<number, number>;
  /** Rows the visitor disliked or dismissed. */
  readonly rejected: ReadonlySet<number>;
  /** Category → affinity in [-1, 1]. */
  readonly categoryAffinity: ReadonlyMap<string, number>;
  /** True when no event maps to a known item (cold-start visitor). */
  readonly cold: boolean;
}

/**
 * Builds the user state at time `now` from events (any order). Unknown item ids are kept by
 * the log but ignored here.
 */
export function buildUserState(
  context: EngineContext,
  events: readonly EngineEvent[],
  config: UserStateConfig,
  now: number,
): UserState {
  const known = events
    .map((event, index) => ({ event, index, row: context.rowOf.get(event.itemId) }))
    .filter((e): e is { event: EngineEvent; index: number; row: number } => e.row !== undefined);
  known.sort((a, b) => a.event.at - b.event.at || a.index - b.index);

  const d = context.dims;
  const long = new Float32Array(d);
  const short = new Float32Array(d);
  const recent = new Float32Array(d);
  const negative = new Float32Array(d);
  const seen = new Map<number, number>();
  const rejected = new Set<number>();
  const categories = new Map<string, number>();
  const collabHistory: WeightedRow[] = [];
  const sequenceHistory: WeightedRow[] = [];
  const recentRows: number[] = [];
  const actions = new Map<number, EventKind>();

  // Session start: walk back from the latest event while gaps stay small.
  let sessionStart = known.length;
  for (let i = known.length - 1; i >= 0; i--) {
    const next = known[i + 1];
    if (next && next.event.at - known[i]!.event.at > config.sessionGapMs) break;
    sessionStart = i;
  }

  let age = 0;
  let categoryTotal = 0;
  for (let i = known.length - 1; i >= 0; i--) {
    const { event, row } = known[i]!;
    seen.set(row, (seen.get(row) ?? 0) + 1);
    const kindWeight = config.kindWeights[event.kind];
    const days = Math.max(0, now - event.at) / 86_400_000;
    const timeDecay = Number.isFinite(config.halfLifeDays)
      ? 0.5 ** (days / config.halfLifeDays)
      : 1;
    const vector = itemVector(context, row);
    if (kindWeight < 0) {
      rejected.add(row);
      for (let k = 0; k < d; k++) negative[k]! += -kindWeight * timeDecay * vector[k]!;
    } else {
      const recency = config.eventDecay ** age + config.longTermWeight;
      const weight = kindWeight * recency * timeDecay;
      for (let k = 0; k < d; k++) long[k]! += weight * vector[k]!;
      const recentWeight = kindWeight * config.recentDecay ** age;
      for (let k = 0; k < d; k++) recent[k]! += recentWeight * vector[k]!;
      if (i >= sessionStart) for (let k = 0; k < d; k++) short[k]! += kindWeight * vector[k]!;
      const collabRow = context.collabRow[row]!;
      if (collabRow >= 0) collabHistory.push({ row: collabRow, weight });
      const sequenceRow = context.sequenceRow[row]!;
      if (sequenceRow >= 0) {
        const w = kindWeight * (config.sequenceDecay ** age + config.longTermWeight) * timeDecay;
        sequenceHistory.push({ row: sequenceRow, weight: w });
      }
      if (recentRows.length < config.recentCount && !recentRows.includes(row)) recentRows.push(row);
      const done = actions.get(row);
      if (done === undefined || kindWeight > config.kindWeights[done]) actions.set(row, event.kind);
      age++;
    }
    for (const category of context.items[row]!.categories) {
      const w = kindWeight * timeDecay;
      categories.set(category, (categories.get(category) ?? 0) + w);
      categoryTotal += Math.abs(w);
    }
  }
  const categoryAffinity = new Map<string, number>();
  for (const [category, w] of categories) categoryAffinity.set(category, w / (categoryTotal || 1));
  return {
    long: normalized(long),
    short: normalized(short),
    recent: normalized(recent),
    negative: normalized(negative),
    collabHistory,
    sequenceHistory,
    recentRows,
    actions,
    seen,
    rejected,
    categoryAffinity,
    cold: known.length === 0,
  };
}
