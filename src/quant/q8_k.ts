import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';
import { QK_K, f, int8, nearestInt } from './kquant-common.js';
import { largestMagnitude } from './largest-magnitude.js';

/*
 * Q8_K block (activations for K-quant dot products), 292 bytes for 256 values:
 *   d f32 | 256 int8 quants | 16 int16 sums of each group of 16 quants (bsums)
 * x = d·q.
 */
const BLOCK_BYTES = 292;
const QS = 4;
const BSUMS = 260;

export const Q8_K: QuantFormat = {
  type: GGMLType.Q8_K,
  dequantize(src, out, count) {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let o = 0, y = 0; y < count; o += BLOCK_BYTES, y += QK_K) {
      const d = view.getFloat32(o, true);
      for (let j = 0; j < QK_K; j++) out[y + j] = d * int8(src[o + QS + j]!);
    }
  },
  // quantize_row_q8_K_ref: d = max/-127 with max the signed value of largest magnitude.
  quantize(src, dst, count) {
    const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    for (let o = 0, x = 0; x < count; o += BLOCK_BYTES, x += QK_K) {
      const max = largestMagnitude(src, x, QK_K);
      if (max === 0) {
        // C zeroes d and the quants and leaves bsums as they were; zero sums are the only sensible bytes.
        dst.fill(0, o, o + BLOCK_BYTES);
        continue;
      }
      const iscale = f(-127 / max);
      for (let j = 0; j < QK_K; j++) dst[o + QS + j] = Math.min(127, nearestInt(f(iscale * src[x + j]!)));
      for (let g = 0; g < 16; g++) {
        let sum = 0;
        for (let j = 16 * g; j < 16 * g + 16; j++) sum += int8(dst[o + QS + j]!);
        view.setInt16(o + BSUMS + 2 * g, sum, true);
      }
      view.setFloat32(o, f(1 / iscale), true);
    }
  },
};
