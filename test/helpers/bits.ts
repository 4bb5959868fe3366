/** Float bit patterns, so that comparisons are bit for bit (-0 differs from 0, NaNs compare). */
import { readFileSync } from 'node:fs';

export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** The bit patterns of a file of little-endian f32 values. */
export function fileBits(path: string): Uint32Array {
  const b = readFileSync(path);
  return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
