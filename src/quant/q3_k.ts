import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf, writeHalf } from './f16.js';
import { QK_K, clamp, f, int8, makeQ3Quants, nearestInt, pack2Bits } from './kquant-common.js';
import { largestMagnitude } from './largest-magnitude.js';

/*
 * Q3_K super-block, 110 bytes for 256 values in 16 groups of 16:
 *   32 bytes hmask (high bit) | 64 bytes qs (low 2 bits, packed as Q2_K) | 12 bytes of 6-bit group scales | d f16
 * x = d·(scale_g - 32)·(q - 4), q = low bits + 4·(high bit). Value e has its high bit at hmask[e % 32], bit e / 32.
 * Group scale g: low 4 bits in byte g (g < 8) or the high nibble of byte g-8; its top 2 bits in byte 8 + g%4,
 * bits 2·(g/4).
 */
const BLOCK_BYTES = 110;
const QS = 32;
const SCALES = 96;
const D = 108;

const L = new Uint8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

/** Group g's 6-bit scale, biased by 32, from the 12 bytes at b[o..o+12). */
function groupScale(b: Uint8Array, o: number, g: number): number {
  const low = g < 8 ? b[o + g]! & 0xf : b[o + g - 8]! >> 4;
  return low | (((b[o + 8 + (g & 3)]! >> (2 * (g >> 2))) & 3) << 4);
}

export const Q3_K: QuantFormat = {
  type: GGMLType.Q3_K,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      const d = readHalf(src, o + D);
      // Group g = 8h + 2j + k covers values 128h + 32j + 16k ..+16: bits 2j of qs[32h + 16k + l], bit 4h + j of hmask.
      for (let h = 0; h < 2; h++) {
        for (let j = 0; j < 4; j++) {
          for (let k = 0; k < 2; k++) {
            const g = 8 * h + 2 * j + k;
            const dl = d * (groupScale(src, o + SCALES, g) - 32);
            const qs = o + QS + 32 * h + 16 * k;
            const hm = o + 16 * k;
            const yg = y + 16 * g;
            for (let l = 0; l < 16; l++) {
              const q = ((src[qs + l]! >> (2 * j)) & 3) | (((src[hm + l]! >> (4 * h + j)) & 1) << 2);
              out[yg + l] = dl * (q - 4);
            }
          }
        }
      }
    }
  },
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      for (let g = 0; g < 16; g++) scales[g] = makeQ3Quants(16, 4, src, x + 16 * g, L, 16 * g);
      const maxScale = largestMagnitude(scales, 0, 16);
      dst.fill(0, o + SCALES, o + D);
      if (maxScale !== 0) {
        const iscale = f(-32 / maxScale);
        for (let g = 0; g < 16; g++) {
          // C keeps nearest_int's result in an int8_t before clamping.
          const l = clamp(int8(nearestInt(f(iscale * scales[g]!))), -32, 31) + 32;
          if (g < 8) dst[o + SCALES + g] = l & 0xf;
          else dst[o + SCALES + g - 8] |= (l & 0xf) << 4;
          dst[o + SCALES + 8 + (g & 3)] |= (l >> 4) << (2 * (g >> 2));
        }
        writeHalf(dst, o + D, f(1 / iscale));
      } else {
        writeHalf(dst, o + D, 0);
      }
      const d = readHalf(dst, o + D);
      for (let g = 0; g < 16; g++) {
        const dg = f(d * (groupScale(dst, o + SCALES, g) - 32));
        if (dg === 0) continue; // C's `if (!d)`: a NaN scale (inf·0) is not zero and goes on
        for (let i = 16 * g; i < 16 * g + 16; i++) L[i] = clamp(nearestInt(f(src[x + i]! / dg)), -4, 3) + 4;
      }
      dst.fill(0, o, o + QS);
      for (let e = 0; e < QK_K; e++) {
        if (L[e]! > 3) {
          dst[o + (e & 31)] |= 1 << (e >> 5);
          L[e] -= 4;
        }
      }
      pack2Bits(L, dst, o + QS);
    }
  },
};
