/** One measured quantity: the median of repeated runs and how much they spread. */
export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Coefficient of variation (standard deviation / mean) of the kept runs. */
  readonly cv: number;
  readonly runs: number;
}

export interface RepeatOptions {
  /** Runs thrown away first (JIT, caches, page faults). Default 1. */
  readonly warmup?: number;
  /** Runs kept at least. Default 3. */
  readonly minRuns?: number;
  /** Runs kept at most. Default 20. */
  readonly maxRuns?: number;
  /** Stop once the coefficient of variation is below this. Default 0.05. */
  readonly targetCv?: number;
  /** Stop adding runs after this many milliseconds (after minRuns, or after one run that alone took longer). */
  readonly capMs: number;
}

export function summarize(values: readonly number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, cv: mean === 0 ? 0 : Math.sqrt(variance) / mean, runs: n };
}

/** Runs `once` (which returns the value it measured) until the spread is small enough or time is up. */
export async function repeat(once: () => Promise<number> | number, options: RepeatOptions): Promise<Sample> {
  const { warmup = 1, minRuns = 3, maxRuns = 20, targetCv = 0.05, capMs } = options;
  for (let i = 0; i < warmup; i++) await once();
  const values: number[] = [];
  const t0 = performance.now();
  for (;;) {
    values.push(await once());
    const late = performance.now() - t0 > capMs;
    if (values.length < minRuns && !(late && values.length === 1)) continue;
    if (values.length >= maxRuns || summarize(values).cv < targetCv || late) break;
  }
  return summarize(values);
}
