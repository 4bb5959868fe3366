import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf, writeHalf } from './f16.js';

/**
 * Q4_0 block: f16 scale d, then 16 bytes of 4-bit quants; byte j holds element j in its low nibble and
 * element j+16 in its high nibble. x = (q - 8) * d.
 */
const QK = 32;
const BLOCK_BYTES = 2 + QK / 2;

export const Q4_0: QuantFormat = {
  type: GGMLType.Q4_0,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK) {
      const d = readHalf(src, o);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 2 + j]!;
        out[y + j] = ((q & 0x0f) - 8) * d;
        out[y + j + QK / 2] = ((q >>> 4) - 8) * d;
      }
    }
  },
  // quantize_row_q4_0_ref: the scale comes from the largest-magnitude value with its sign (d = max / -8), so that
  // value lands exactly on quant 0 and the range [-8, 7] is used asymmetrically; f32 rounding at every step.
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      let amax = 0;
      let max = 0;
      for (let j = 0; j < QK; j++) {
        const v = src[x + j]!;
        if (amax < Math.abs(v)) {
          amax = Math.abs(v);
          max = v;
        }
      }
      const d = Math.fround(max / -8);
      const id = d !== 0 ? Math.fround(1 / d) : 0;
      writeHalf(dst, o, d);
      for (let j = 0; j < QK / 2; j++) {
        // (int8_t)(x*id + 8.5f): truncation of a value >= 0, i.e. rounding half up of x*id + 8.
        const lo = Math.min(15, Math.fround(Math.fround(src[x + j]! * id) + 8.5) | 0);
        const hi = Math.min(15, Math.fround(Math.fround(src[x + j + QK / 2]! * id) + 8.5) | 0);
        dst[o + 2 + j] = lo | (hi << 4);
      }
    }
  },
};
