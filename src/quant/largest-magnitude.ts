/**
 * The value of largest magnitude in x[xo..xo+n), with its sign; the first of equal magnitudes, 0 when all are 0.
 * Symmetric ggml scales are taken from it (d = max / -levels), so the extreme value lands exactly on the
 * lowest quant and the sign decides which end of the asymmetric integer range it uses.
 */
export function largestMagnitude(x: Float32Array, xo: number, n: number): number {
  let max = 0;
  let amax = 0;
  for (let i = xo; i < xo + n; i++) {
    const ax = Math.abs(x[i]!);
    if (ax > amax) {
      amax = ax;
      max = x[i]!;
    }
  }
  return max;
}
