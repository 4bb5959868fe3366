import cliProgress from 'cli-progress';

/** Where a conversion stands, reported after each tensor is produced. */
export interface ConvertProgressEvent {
  readonly tensorsDone: number;
  readonly tensors: number;
  /** Bytes of source tensors consumed, out of `bytes`. */
  readonly bytesDone: number;
  readonly bytes: number;
  /** The tensor just written. */
  readonly tensor: string;
}

export type ConvertProgress = (event: ConvertProgressEvent) => void;

/**
 * Reports the start of a conversion of `tensors` tensors (`bytes` source bytes) at once, so that the bar and its ETA
 * appear before the first, often largest, tensor is done; returns what to call as each tensor is produced.
 */
export function startProgress(onProgress: ConvertProgress | undefined, tensors: number, bytes: number): (tensor: string, sourceBytes: number) => void {
  let tensorsDone = 0;
  let bytesDone = 0;
  onProgress?.({ tensorsDone, tensors, bytesDone, bytes, tensor: '' });
  return (tensor, sourceBytes) => {
    bytesDone += sourceBytes;
    onProgress?.({ tensorsDone: ++tensorsDone, tensors, bytesDone, bytes, tensor });
  };
}

function mib(n: number): string {
  return (n / (1 << 20)).toFixed(1);
}

/**
 * A progress bar on stderr (tensors done, MiB read, ETA) when stderr is a terminal, and nothing otherwise,
 * so that piped or scripted runs stay clean. Returns the callback and a `stop` to call when done.
 */
export function progressBar(label: string): { onProgress: ConvertProgress | undefined; stop: () => void } {
  if (!process.stderr.isTTY) return { onProgress: undefined, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      // The bar and ETA follow bytes, which track the work far better than tensor counts.
      format: `${label} [{bar}] {percentage}% | {tensorsDone}/{tensors} tensors | {done}/{all} MiB | ETA {eta_formatted} | {tensor}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (e) => {
      if (!started) {
        bar.start(e.bytes, 0, { tensorsDone: 0, tensors: e.tensors, done: '0.0', all: mib(e.bytes), tensor: '' });
        started = true;
      }
      bar.update(e.bytesDone, { tensorsDone: e.tensorsDone, tensors: e.tensors, done: mib(e.bytesDone), all: mib(e.bytes), tensor: e.tensor });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
