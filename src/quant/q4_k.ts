import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { QK_K, type Qkx2Search, f, quantizeSuperBlockK4, subBlockScalesK4 } from './kquant-common.js';

/*
 * Q4_K super-block, 144 bytes for 256 values in 8 sub-blocks of 32:
 *   d f16 | dmin f16 | 12 bytes: 6-bit scale and min per sub-block (get_scale_min_k4) | 128 bytes of 4-bit quants
 * x = d·scale_j·q - dmin·min_j. Each 32-byte run of quants serves two sub-blocks: low nibbles the first, high the second.
 */
const BLOCK_BYTES = 144;
const QS = 16;

/** quantize_row_q4_K_ref's make_qkx2_quants arguments. */
const SEARCH: Qkx2Search = { nmax: 15, rmin: -1, rdelta: f(0.1), nstep: 20, useMad: false };
const L = new Uint8Array(QK_K);
const scales = new Float32Array(8);
const offsets = new Float32Array(8);

export const Q4_K: QuantFormat = {
  type: GGMLType.Q4_K,
  dequantize(src, out, count) {
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      subBlockScalesK4(src, o, scales, offsets);
      for (let j = 0; j < 8; j += 2) {
        const d1 = scales[j]!;
        const m1 = offsets[j]!;
        const d2 = scales[j + 1]!;
        const m2 = offsets[j + 1]!;
        const q = o + QS + 16 * j;
        const yj = y + 32 * j;
        for (let l = 0; l < 32; l++) {
          out[yj + l] = d1 * (src[q + l]! & 0xf) - m1;
          out[yj + 32 + l] = d2 * (src[q + l]! >> 4) - m2;
        }
      }
    }
  },
  quantize(src, dst, count) {
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      quantizeSuperBlockK4(src, x, SEARCH, dst, o, L);
      for (let j = 0; j < QK_K; j += 64) {
        const q = o + QS + j / 2;
        for (let l = 0; l < 32; l++) dst[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
      }
    }
  },
};
