import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf } from './f16.js';
import { QK, scaleAffine } from './legacy-block.js';

/**
 * Q4_1 block: f16 scale d, f16 minimum m, then 16 bytes of 4-bit quants (element j in the low nibble of byte j,
 * element j+16 in the high nibble). x = q * d + m.
 */
const BLOCK_BYTES = 4 + QK / 2;

export const Q4_1: QuantFormat = {
  type: GGMLType.Q4_1,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK) {
      const d = readHalf(src, o);
      const m = readHalf(src, o + 2);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 4 + j]!;
        // q * d is exact and the sum spans fewer than 53 bits, so one rounding at the store matches C's float math.
        out[y + j] = (q & 0x0f) * d + m;
        out[y + j + QK / 2] = (q >>> 4) * d + m;
      }
    }
  },
  // quantize_row_q4_1_ref: the block's [min, max] split into 15 steps; q = trunc((x - min) / d + 0.5), capped at 15.
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      const v = scaleAffine(src, x, 16, dst, o);
      for (let j = 0; j < QK / 2; j++) dst[o + 4 + j] = Math.min(15, v[j]! | 0) | (Math.min(15, v[j + QK / 2]! | 0) << 4);
    }
  },
};
