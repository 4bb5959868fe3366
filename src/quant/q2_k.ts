import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { readHalf, writeHalf } from './f16.js';
import { QK_K, type Qkx2Search, clamp, f, makeQkx2Quants, nearestInt, pack2Bits } from './kquant-common.js';

/*
 * Q2_K super-block, 84 bytes for 256 values in 16 groups of 16:
 *   16 bytes of group scale (low nibble) and min (high nibble) | 64 bytes qs | d f16 | dmin f16
 * x = d·scale_g·q - dmin·min_g, q in 0..3. Within each half of the super-block (128 values), qs byte l holds
 * values l, l+32, l+64, l+96 in bits 0-1, 2-3, 4-5, 6-7.
 */
const BLOCK_BYTES = 84;
const QS = 16;
const D = 80;
const DMIN = 82;

/** quantize_row_q2_K_ref's make_qkx2_quants arguments: absolute error, 16 candidate scales. */
const SEARCH: Qkx2Search = { nmax: 3, rmin: -0.5, rdelta: f(0.1), nstep: 15, useMad: true };
const L = new Uint8Array(QK_K);
const Laux = new Uint8Array(16);
const weights = new Float32Array(16);
const scales = new Float32Array(QK_K / 16);
const mins = new Float32Array(QK_K / 16);

export const Q2_K: QuantFormat = {
  type: GGMLType.Q2_K,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      const d = readHalf(src, o + D);
      const dmin = readHalf(src, o + DMIN);
      for (let g = 0; g < 16; g++) {
        const sc = src[o + g]!;
        const dl = d * (sc & 0xf);
        const ml = dmin * (sc >> 4);
        for (let e = 16 * g; e < 16 * g + 16; e++) {
          const q = (src[o + QS + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3;
          out[y + e] = dl * q - ml;
        }
      }
    }
  },
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      let maxScale = 0;
      let maxMin = 0;
      for (let g = 0; g < 16; g++) {
        for (let l = 0; l < 16; l++) weights[l] = Math.abs(src[x + 16 * g + l]!);
        const scale = makeQkx2Quants(16, SEARCH, src, x + 16 * g, weights, L, 16 * g, mins, g, Laux);
        scales[g] = scale;
        if (scale > maxScale) maxScale = scale;
        if (mins[g]! > maxMin) maxMin = mins[g]!;
      }
      // The typed array wraps out-of-range values the way C's store into uint8_t does.
      if (maxScale > 0) {
        const iscale = f(15 / maxScale);
        for (let g = 0; g < 16; g++) dst[o + g] = nearestInt(f(iscale * scales[g]!));
        writeHalf(dst, o + D, f(maxScale / 15));
      } else {
        dst.fill(0, o, o + 16);
        writeHalf(dst, o + D, 0);
      }
      if (maxMin > 0) {
        const iscale = f(15 / maxMin);
        for (let g = 0; g < 16; g++) dst[o + g] |= nearestInt(f(iscale * mins[g]!)) << 4;
        writeHalf(dst, o + DMIN, f(maxMin / 15));
      } else {
        writeHalf(dst, o + DMIN, 0);
      }
      const d = readHalf(dst, o + D);
      const dmin = readHalf(dst, o + DMIN);
      for (let g = 0; g < 16; g++) {
        const dg = f(d * (dst[o + g]! & 0xf));
        if (dg === 0) continue; // C's `if (!d)`: a NaN scale (inf·0) is not zero and goes on
        const dm = f(dmin * (dst[o + g]! >> 4));
        for (let i = 16 * g; i < 16 * g + 16; i++) L[i] = clamp(nearestInt(f(f(src[x + i]! + dm) / dg)), 0, 3);
      }
      pack2Bits(L, dst, o + QS);
    }
  },
};
