/**
 * Indices of the `k` largest values, largest first (ties: lower index first). One pass with a short sorted
 * list: most values fall below the current k-th and cost one comparison, so a 100k vocabulary stays cheap.
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (best.length === k && v <= values[best[k - 1]!]!) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && values[best[at - 1]!]! < v) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = i;
  }
  return best;
}
