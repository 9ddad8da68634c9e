/**
 * Novelty of one list: mean self-information −log2 p(i) of its items, where p(i) is the share
 * of training users who interacted with i, add-one smoothed ((count + 1) / (users + 1)) so an
 * item nobody saw is finite. NaN for an empty list (undefined), never 0 by default.
 */
export function novelty(
  list: readonly string[],
  userCount: (item: string) => number,
  totalUsers: number,
): number {
  if (list.length === 0) return Number.NaN;
  let sum = 0;
  for (const item of list) sum += -Math.log2((userCount(item) + 1) / (totalUsers + 1));
  return sum / list.length;
}
