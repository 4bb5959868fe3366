import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf } from './f16.js';
import { QK, readHighBits, scaleSymmetric, writeHighBits } from './legacy-block.js';

/**
 * Q5_0 block: f16 scale d, a u32 of fifth bits (bit j for element j), then 16 bytes of low nibbles
 * (element j low, element j+16 high). x = (q - 16) * d.
 */
const BLOCK_BYTES = 6 + QK / 2;

export const Q5_0: QuantFormat = {
  type: GGMLType.Q5_0,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK) {
      const d = readHalf(src, o);
      const qh = readHighBits(src, o + 2);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 6 + j]!;
        out[y + j] = (((q & 0x0f) | (((qh >>> j) << 4) & 0x10)) - 16) * d;
        out[y + j + QK / 2] = (((q >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * d;
      }
    }
  },
  // quantize_row_q5_0_ref: as Q4_0 with 32 levels, d = max / -16 from the signed largest-magnitude value.
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK) {
      const v = scaleSymmetric(src, x, 32, dst, o);
      let qh = 0;
      for (let j = 0; j < QK / 2; j++) {
        const lo = Math.min(31, v[j]! | 0);
        const hi = Math.min(31, v[j + QK / 2]! | 0);
        dst[o + 6 + j] = (lo & 0x0f) | ((hi & 0x0f) << 4);
        qh |= ((lo >>> 4) << j) | ((hi >>> 4) << (j + QK / 2));
      }
      writeHighBits(dst, o + 2, qh);
    }
  },
};
