/** Mean of the defined values: NaN entries (undefined per-user scores) are skipped; NaN if none. */
export function meanDefined(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}
