import { readSync } from 'node:fs';

/** One readSync call moves at most 2 GiB; larger reads are split. */
const MAX_READ = 1 << 30;

/**
 * Fills `out` from file position `position` with as many positional reads as it takes. Returns how many bytes
 * arrived: fewer than out.byteLength only when the file ends first, which the caller reports in its own terms.
 */
export function readAt(fd: number, out: Uint8Array, position: number): number {
  let done = 0;
  while (done < out.byteLength) {
    const n = readSync(fd, out, done, Math.min(out.byteLength - done, MAX_READ), position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
