/**
 * Normalised discounted cumulative gain at k with binary relevance for one user:
 * Σ_hits 1/log2(rank+1) divided by the ideal DCG of min(k, |relevant|) hits.
 * NaN-versus-0 rule: NaN when the user has no relevant item (left out of averages), 0 when the
 * relevant items are not in the first k.
 */
export function ndcg(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return Number.NaN;
  let dcg = 0;
  const top = ranked.slice(0, k);
  for (let i = 0; i < top.length; i++) if (relevant.has(top[i]!)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}
