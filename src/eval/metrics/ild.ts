/**
 * Intra-list diversity of one list: mean pairwise cosine distance (1 − cos) between the item
 * vectors. NaN when fewer than two items have a vector (no pair, so undefined rather than 0).
 */
export function intraListDiversity(
  list: readonly string[],
  vectorOf: (item: string) => Float32Array | undefined,
): number {
  const vectors = list.map(vectorOf).filter((v): v is Float32Array => v !== undefined);
  if (vectors.length < 2) return Number.NaN;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < vectors.length; a++) {
    for (let b = a + 1; b < vectors.length; b++) {
      sum += 1 - cosine(vectors[a]!, vectors[b]!);
      pairs++;
    }
  }
  return sum / pairs;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
