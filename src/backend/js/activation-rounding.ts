import { dequantize, quantize } from '../../quant/index.js';
import { fp16ToFp32, fp32ToFp16 } from '../../quant/f16.js';
import { GGMLType } from '../../tensor/ggml-type.js';

/** How activations enter a matrix product: as they are, or rounded the way llama.cpp's x86 CPU backend rounds them. */
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
  if (to === GGMLType.Q8_0) return roundToQ8_0LikeX86(x, count);
  // x86 quantizes to Q8_K with the reference quantizer (quantize_row_q8_K falls back to it), so ours is exact.
  return dequantize(to, quantize(to, x.subarray(0, count), count), count);
}

/**
 * The first `count` values (a multiple of 32) as llama.cpp's x86 quantize_row_q8_0 / quantize_row_q8_1 leave them
 * (the AMX kernels call the former; the repacked Q4_0 kernels' quantize_mat_q8_0 does the same arithmetic). They
 * differ from the reference quantizer that writes Q8_0 files in two ways: the inverse scale is 127/amax rather
 * than 1/(amax/127), and x·id is rounded half to even (_mm256_round_ps) rather than away from zero (roundf). Both
 * only matter where x·id is (nearly) a half: activations made from Q4_0 token embeddings lie on a grid of amax/8,
 * so amax/2 lands on 63.5 exactly in one and just below it in the other, moving that value by a whole
 * quantization step (issue #4: Q4_0 logits off by 9e-3 of their range wherever a token's embedding hits one).
 */
function roundToQ8_0LikeX86(x: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let start = 0; start < count; start += 32) {
    let amax = 0;
    for (let i = start; i < start + 32; i++) amax = Math.max(amax, Math.abs(x[i]!));
    // f32 division and product: a double result rounded once to f32 equals the f32 operation for these.
    const d = fp16ToFp32(fp32ToFp16(Math.fround(amax / 127)));
    const id = amax === 0 ? 0 : Math.fround(127 / amax);
    for (let i = start; i < start + 32; i++) out[i] = d * roundHalfToEven(Math.fround(x[i]! * id));
  }
  return out;
}

function roundHalfToEven(v: number): number {
  const floor = Math.floor(v);
  const rest = v - floor;
  if (rest !== 0.5) return rest < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function roundToF16(x: Float32Array): Float32Array {
  return dequantize(GGMLType.F16, quantize(GGMLType.F16, x), x.length);
}
