import { dequantize, quantize } from '../../quant/index.js';
import { GGMLType } from '../../tensor/ggml-type.js';

/** How activations enter a matrix product: as they are, or rounded the way llama.cpp's CPU backend rounds them. */
export type ActivationRounding = 'exact' | 'llama.cpp';

/**
 * The type llama.cpp's CPU dot product converts activations to for each weight type (its `vec_dot_type`):
 * integer dot products need the activations quantized too. Q8_1 holds the same values as Q8_0.
 */
const VEC_DOT_TYPE: ReadonlyMap<GGMLType, GGMLType> = new Map([
  [GGMLType.F16, GGMLType.F16],
  [GGMLType.BF16, GGMLType.BF16],
  [GGMLType.Q4_0, GGMLType.Q8_0],
  [GGMLType.Q4_1, GGMLType.Q8_0],
  [GGMLType.Q5_0, GGMLType.Q8_0],
  [GGMLType.Q5_1, GGMLType.Q8_0],
  [GGMLType.Q8_0, GGMLType.Q8_0],
  [GGMLType.Q2_K, GGMLType.Q8_K],
  [GGMLType.Q3_K, GGMLType.Q8_K],
  [GGMLType.Q4_K, GGMLType.Q8_K],
  [GGMLType.Q5_K, GGMLType.Q8_K],
  [GGMLType.Q6_K, GGMLType.Q8_K],
]);

/** `n` rows of `cols` activations as a product with a `weightType` matrix sees them. */
export function roundLikeVecDot(mode: ActivationRounding, weightType: GGMLType, x: Float32Array, n: number, cols: number): Float32Array {
  const to = mode === 'exact' ? undefined : VEC_DOT_TYPE.get(weightType);
  if (to === undefined) return x;
  const count = n * cols;
  return dequantize(to, quantize(to, x.subarray(0, count), count), count);
}

export function roundToF16(x: Float32Array): Float32Array {
  return dequantize(GGMLType.F16, quantize(GGMLType.F16, x), x.length);
}
