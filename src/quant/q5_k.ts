import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { QK_K, type Qkx2Search, f, quantizeSuperBlockK4, subBlockScalesK4 } from './kquant-common.js';

/*
 * Q5_K super-block, 176 bytes for 256 values in 8 sub-blocks of 32:
 *   d f16 | dmin f16 | 12 bytes of 6-bit scales and mins (as Q4_K) | 32 bytes qh | 128 bytes of low nibbles
 * x = d·scale_j·q - dmin·min_j with q = nibble + 16·(high bit). Sub-block j takes its high bits from bit j of qh[l],
 * its nibbles from the run of 32 bytes shared with its pair (low nibbles for even j, high for odd).
 */
const BLOCK_BYTES = 176;
const QH = 16;
const QS = 48;

/** quantize_row_q5_K_ref's make_qkx2_quants arguments. */
const SEARCH: Qkx2Search = { nmax: 31, rmin: -0.5, rdelta: f(0.1), nstep: 15, useMad: false };
const L = new Uint8Array(QK_K);
const scales = new Float32Array(8);
const offsets = new Float32Array(8);

export const Q5_K: QuantFormat = {
  type: GGMLType.Q5_K,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      subBlockScalesK4(src, o, scales, offsets);
      for (let j = 0; j < 8; j += 2) {
        const d1 = scales[j]!;
        const m1 = offsets[j]!;
        const d2 = scales[j + 1]!;
        const m2 = offsets[j + 1]!;
        const ql = o + QS + 16 * j;
        const qh = o + QH;
        const yj = y + 32 * j;
        for (let l = 0; l < 32; l++) {
          const h = src[qh + l]! >> j;
          out[yj + l] = d1 * ((src[ql + l]! & 0xf) | ((h & 1) << 4)) - m1;
          out[yj + 32 + l] = d2 * ((src[ql + l]! >> 4) | ((h & 2) << 3)) - m2;
        }
      }
    }
  },
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      quantizeSuperBlockK4(src, x, SEARCH, dst, o, L);
      dst.fill(0, o + QH, o + QS);
      for (let j = 0; j < QK_K; j += 64) {
        const ql = o + QS + j / 2;
        const bit = j / 32;
        for (let l = 0; l < 32; l++) {
          const l1 = L[j + l]!;
          const l2 = L[j + l + 32]!;
          dst[o + QH + l] |= ((l1 >> 4) << bit) | ((l2 >> 4) << (bit + 1));
          dst[ql + l] = (l1 & 0xf) | ((l2 & 0xf) << 4);
        }
      }
    }
  },
};
