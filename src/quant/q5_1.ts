import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf } from './f16.js';
import { QK, readHighBits, scaleAffine, writeHighBits } from './legacy-block.js';

/**
 * Q5_1 block: f16 scale d, f16 minimum m, a u32 of fifth bits (bit j for element j), then 16 bytes of low
 * nibbles (element j low, element j+16 high). x = q * d + m.
 */
const BLOCK_BYTES = 8 + QK / 2;

export const Q5_1: QuantFormat = {
  type: GGMLType.Q5_1,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK) {
      const d = readHalf(src, o);
      const m = readHalf(src, o + 2);
      const qh = readHighBits(src, o + 4);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 8 + j]!;
        // Exact product, one rounding at the store: the same f32 as C's x*d + m (see Q4_1).
        out[y + j] = ((q & 0x0f) | (((qh >>> j) << 4) & 0x10)) * d + m;
        out[y + j + QK / 2] = ((q >>> 4) | ((qh >>> (j + 12)) & 0x10)) * d + m;
      }
    }
  },
  // quantize_row_q5_1_ref: [min, max] in 31 steps; unlike Q4_1 the C has no cap (the top value lands on 31).
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      const v = scaleAffine(src, x, 32, dst, o);
      let qh = 0;
      for (let j = 0; j < QK / 2; j++) {
        const lo = v[j]! & 0xff;
        const hi = v[j + QK / 2]! & 0xff;
        dst[o + 8 + j] = (lo & 0x0f) | ((hi & 0x0f) << 4);
        qh |= (((lo >>> 4) & 1) << j) | (((hi >>> 4) & 1) << (j + QK / 2));
      }
      writeHighBits(dst, o + 4, qh);
    }
  },
};
