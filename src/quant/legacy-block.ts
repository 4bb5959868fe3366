/**
 * What the 32-value legacy formats Q4_0, Q4_1, Q5_0 and Q5_1 share: the block size, the u32 of fifth bits of
 * the Q5 formats, and the two scale rules of llama.cpp's reference quantizers. The scale rules stop at the
 * scaled value: each format turns it into an integer quant itself, because the C caps and wraps differently
 * in each.
 */
import { writeHalf } from './f16.js';
import { largestMagnitude } from './largest-magnitude.js';

export const QK = 32;

/** The little-endian u32 of fifth bits at `offset` (bit j for element j). */
export function readHighBits(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function writeHighBits(bytes: Uint8Array, offset: number, qh: number): void {
  bytes[offset] = qh & 0xff;
  bytes[offset + 1] = (qh >>> 8) & 0xff;
  bytes[offset + 2] = (qh >>> 16) & 0xff;
  bytes[offset + 3] = qh >>> 24;
}

const scaled = new Float32Array(QK);

/**
 * The scale of quantize_row_q4_0_ref and quantize_row_q5_0_ref for a block of `levels` quants: d = max / -(levels/2)
 * from the signed largest-magnitude value, so that value lands exactly on quant 0 and the integer range is used
 * asymmetrically. Writes d as f16 at dst[o]; returns x/d + levels/2 + 0.5 for the block's 32 values (valid until
 * the next call), with every step rounded to f32 as the C is.
 */
export function scaleSymmetric(src: Float32Array, x: number, levels: number, dst: Uint8Array, o: number): Float32Array {
  const d = Math.fround(largestMagnitude(src, x, QK) / -(levels / 2));
  const id = d !== 0 ? Math.fround(1 / d) : 0;
  writeHalf(dst, o, d);
  for (let j = 0; j < QK; j++) scaled[j] = Math.fround(Math.fround(src[x + j]! * id) + (levels / 2 + 0.5));
  return scaled;
}

/**
 * The scale of quantize_row_q4_1_ref and quantize_row_q5_1_ref: the block's [min, max] in levels - 1 equal steps.
 * Writes d = (max - min) / (levels - 1) and m = min as f16 at dst[o..o+4); returns (x - min)/d + 0.5 for the
 * block's 32 values (valid until the next call), with every step rounded to f32 as the C is.
 */
export function scaleAffine(src: Float32Array, x: number, levels: number, dst: Uint8Array, o: number): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < QK; j++) {
    const v = src[x + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const d = Math.fround(Math.fround(max - min) / (levels - 1));
  const id = d !== 0 ? Math.fround(1 / d) : 0;
  writeHalf(dst, o, d);
  writeHalf(dst, o + 2, min);
  for (let j = 0; j < QK; j++) scaled[j] = Math.fround(Math.fround(Math.fround(src[x + j]! - min) * id) + 0.5);
  return scaled;
}
