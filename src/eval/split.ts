/** Leave-last-out split of MovieLens interactions into per-user chronological item rows. */
import type { Rng } from '../shared/rng.ts';
import type { Interaction } from './movielens.ts';

/** Users' training sequences and held-out items, as rows into `itemIds`. */
export interface Split {
  /** Every item that appears in the interactions (the ranking universe). */
  readonly itemIds: readonly string[];
  readonly users: readonly string[];
  /** Per user, training rows in timestamp order (ties keep file order). */
  readonly train: readonly (readonly number[])[];
  /** Per user, the held-out row (the last interaction), or -1 when the user has < 2 events. */
  readonly test: readonly number[];
  /** Training timestamps aligned with `train`. */
  readonly trainTimes: readonly (readonly number[])[];
}

/** Splits by user: sort by timestamp, hold out the last interaction, train on the rest. */
export function leaveLastOut(interactions: readonly Interaction[]): Split {
  const itemIndex = new Map<string, number>();
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    if (!itemIndex.has(x.item)) itemIndex.set(x.item, itemIndex.size);
    const list = byUser.get(x.user) ?? [];
    list.push(x);
    byUser.set(x.user, list);
  }
  const users = [...byUser.keys()];
  const train: number[][] = [];
  const trainTimes: number[][] = [];
  const test: number[] = [];
  for (const user of users) {
    const events = byUser.get(user)!.map((x, i) => ({ x, i }));
    events.sort((a, b) => a.x.timestamp - b.x.timestamp || a.i - b.i);
    const rows = events.map((e) => itemIndex.get(e.x.item)!);
    const times = events.map((e) => e.x.timestamp);
    if (rows.length < 2) {
      train.push(rows);
      trainTimes.push(times);
      test.push(-1);
      continue;
    }
    test.push(rows[rows.length - 1]!);
    train.push(rows.slice(0, -1));
    trainTimes.push(times.slice(0, -1));
  }
  return { itemIds: [...itemIndex.keys()], users, train, test, trainTimes };
}

/** Holds out each user's last training row as a validation target (for tuning, never test). */
export function validationSplit(split: Split): Split {
  const train = split.train.map((rows) => (rows.length >= 2 ? rows.slice(0, -1) : rows));
  const trainTimes = split.trainTimes.map((t, u) =>
    (split.train[u]?.length ?? 0) >= 2 ? t.slice(0, -1) : t,
  );
  const test = split.train.map((rows) => (rows.length >= 2 ? rows[rows.length - 1]! : -1));
  return { ...split, train, trainTimes, test };
}

/** Picks `fraction` of the items (seeded) and removes them from every training sequence. */
export function removeColdItems(
  split: Split,
  fraction: number,
  rng: Rng,
): { split: Split; cold: ReadonlySet<number> } {
  const cold = new Set<number>();
  for (let row = 0; row < split.itemIds.length; row++) if (rng() < fraction) cold.add(row);
  const train: number[][] = [];
  const trainTimes: number[][] = [];
  split.train.forEach((rows, u) => {
    const times = split.trainTimes[u]!;
    const keep = rows.map((_r, i) => i).filter((i) => !cold.has(rows[i]!));
    train.push(keep.map((i) => rows[i]!));
    trainTimes.push(keep.map((i) => times[i]!));
  });
  return { split: { ...split, train, trainTimes }, cold };
}
