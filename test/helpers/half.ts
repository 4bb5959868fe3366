/** A binary16 pattern's value by the IEEE formula in float64: an oracle independent of src/quant/f16.ts. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return e === 0 ? sign * (m / 1024) * 2 ** -14 : sign * (1 + m / 1024) * 2 ** (e - 15);
}
