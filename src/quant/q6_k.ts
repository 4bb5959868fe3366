import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf, writeHalf } from './f16.js';
import { GROUP_MAX_EPS, QK_K, clamp, f, int8, makeQxQuants, nearestInt } from './kquant-common.js';
import { largestMagnitude } from './largest-magnitude.js';

/*
 * Q6_K super-block, 210 bytes for 256 values in 16 groups of 16:
 *   128 bytes ql (low 4 bits) | 64 bytes qh (high 2 bits) | 16 int8 group scales | d f16
 * x = d·scale_g·(q - 32). Each half of the super-block (128 values) owns 64 ql and 32 qh bytes: ql byte l holds
 * values l (low nibble) and l+64 (high), ql byte l+32 values l+32 and l+96; qh byte l their high bits, 2 each.
 */
const BLOCK_BYTES = 210;
const QH = 128;
const SCALES = 192;
const D = 208;

const L = new Uint8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

export const Q6_K: QuantFormat = {
  type: GGMLType.Q6_K,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      const d = readHalf(src, o + D);
      for (let h = 0; h < 2; h++) {
        const ql = o + 64 * h;
        const qh = o + QH + 32 * h;
        const sc = o + SCALES + 8 * h;
        const yh = y + 128 * h;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const a = src[ql + l]!;
          const b = src[ql + l + 32]!;
          const hi = src[qh + l]!;
          out[yh + l] = d * int8(src[sc + is]!) * (((a & 0xf) | ((hi & 3) << 4)) - 32);
          out[yh + l + 32] = d * int8(src[sc + is + 2]!) * (((b & 0xf) | (((hi >> 2) & 3) << 4)) - 32);
          out[yh + l + 64] = d * int8(src[sc + is + 4]!) * (((a >> 4) | (((hi >> 4) & 3) << 4)) - 32);
          out[yh + l + 96] = d * int8(src[sc + is + 6]!) * (((b >> 4) | ((hi >> 6) << 4)) - 32);
        }
      }
    }
  },
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      for (let g = 0; g < 16; g++) scales[g] = makeQxQuants(16, 32, src, x + 16 * g, L, 16 * g);
      const maxScale = largestMagnitude(scales, 0, 16);
      if (Math.abs(maxScale) < GROUP_MAX_EPS) {
        dst.fill(0, o, o + BLOCK_BYTES);
        continue;
      }
      const iscale = f(-128 / maxScale);
      writeHalf(dst, o + D, f(1 / iscale));
      // The typed array wraps like C's store into int8_t: -128 stays representable.
      for (let g = 0; g < 16; g++) dst[o + SCALES + g] = Math.min(127, nearestInt(f(iscale * scales[g]!)));
      const d = readHalf(dst, o + D);
      for (let g = 0; g < 16; g++) {
        const dg = f(d * int8(dst[o + SCALES + g]!));
        if (dg === 0) continue; // C's `if (!d)`: a NaN scale (inf·0) is not zero and goes on
        for (let i = 16 * g; i < 16 * g + 16; i++) L[i] = clamp(nearestInt(f(src[x + i]! / dg)), -32, 31) + 32;
      }
      for (let h = 0; h < 2; h++) {
        const ql = o + 64 * h;
        const qh = o + QH + 32 * h;
        const j = 128 * h;
        for (let l = 0; l < 32; l++) {
          const q1 = L[j + l]!;
          const q2 = L[j + l + 32]!;
          const q3 = L[j + l + 64]!;
          const q4 = L[j + l + 96]!;
          dst[ql + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
          dst[ql + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
          dst[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
        }
      }
    }
  },
};
