import type { GGMLType } from '../tensor/ggml-type.js';

/**
 * One ggml block format: how its bytes turn into f32 and back. Each format lives in its own module
 * (quant/q4_0.ts, quant/q4k.ts, ...) and is listed in quant/index.ts.
 */
export interface QuantFormat {
  readonly type: GGMLType;
  /** Dequantizes `count` values (whole blocks) from the start of `src` into the start of `out`. */
  dequantize(src: Uint8Array, out: Float32Array, count: number): void;
  /** Quantizes `count` values (whole blocks) into `dst` exactly as llama.cpp's reference (non-imatrix) quantizer. */
  quantize?(src: Float32Array, dst: Uint8Array, count: number): void;
}
