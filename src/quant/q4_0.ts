import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf } from './f16.js';
import { QK, scaleSymmetric } from './legacy-block.js';

/**
 * Q4_0 block: f16 scale d, then 16 bytes of 4-bit quants; byte j holds element j in its low nibble and
 * element j+16 in its high nibble. x = (q - 8) * d.
 */
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
  // quantize_row_q4_0_ref: d = max / -8 (see scaleSymmetric), quants in [0, 15].
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      const v = scaleSymmetric(src, x, 16, dst, o);
      for (let j = 0; j < QK / 2; j++) {
        // (int8_t)(x*id + 8.5f): truncation of a value >= 0, i.e. rounding half up of x*id + 8.
        dst[o + 2 + j] = Math.min(15, v[j]! | 0) | (Math.min(15, v[j + QK / 2]! | 0) << 4);
      }
    }
  },
};
