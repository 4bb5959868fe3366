import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf, writeHalf } from './f16.js';

/** Q8_0 block: f16 scale d, then 32 int8 quants; x = q * d. */
const QK = 32;
const BLOCK_BYTES = 2 + QK;

/** C's roundf: halfway cases away from zero (Math.round goes toward +inf). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(0.5 - x) : Math.floor(x + 0.5);
}

export const Q8_0: QuantFormat = {
  type: GGMLType.Q8_0,
  dequantize(src, out, count) {
    const quants = new Int8Array(src.buffer, src.byteOffset, src.byteLength);
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK) {
      const d = readHalf(src, o);
      for (let j = 0; j < QK; j++) out[y + j] = quants[o + 2 + j]! * d;
    }
  },
  // quantize_row_q8_0_ref: d = amax / 127, q = roundf(x * (1/d)); every step is rounded to f32 as the C is.
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      let amax = 0;
      for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[x + j]!));
      const d = Math.fround(amax / 127);
      const id = d !== 0 ? Math.fround(1 / d) : 0;
      writeHalf(dst, o, d);
      for (let j = 0; j < QK; j++) dst[o + 2 + j] = roundHalfAway(Math.fround(src[x + j]! * id)) & 0xff;
    }
  },
};
