/**
 * Hit rate at k for one user: 1 if any of the first k ranked items is relevant, else 0.
 * NaN-versus-0 rule: a user with no relevant item has an undefined score (NaN) and is left
 * out of averages; a user whose relevant items are all missed scores 0.
 */
export function hitRate(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  if (relevant.size === 0) return Number.NaN;
  for (const item of ranked.slice(0, k)) if (relevant.has(item)) return 1;
  return 0;
}
