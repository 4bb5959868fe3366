import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';

/** Plain little-endian f32: a byte copy both ways, so every bit (NaN payloads included) is kept. */
export const F32: QuantFormat = {
  type: GGMLType.F32,
  dequantize(src, out, count) {
    new Uint8Array(out.buffer, out.byteOffset, count * 4).set(src.subarray(0, count * 4));
  },
  quantize(src, dst, count) {
    dst.set(new Uint8Array(src.buffer, src.byteOffset, count * 4));
  },
};
