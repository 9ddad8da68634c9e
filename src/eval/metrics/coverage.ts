/**
 * Catalog coverage: the share of catalog items that appear in at least one recommendation list.
 * NaN for an empty catalog (undefined), 0 when no list recommends anything.
 */
export function coverage(lists: readonly (readonly string[])[], catalogSize: number): number {
  if (catalogSize <= 0) return Number.NaN;
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) seen.add(item);
  return seen.size / catalogSize;
}
