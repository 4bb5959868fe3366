import { fail } from '../errors.js';
import { GGMLType, byteSizeOf, typeName, typeTraits } from '../tensor/ggml-type.js';
import { BF16, F16 } from './f16.js';
import { F32 } from './f32.js';
import type { QuantFormat } from './format.js';
import { Q4_0 } from './q4_0.js';
import { Q4_1 } from './q4_1.js';
import { Q5_0 } from './q5_0.js';
import { Q5_1 } from './q5_1.js';
import { Q8_0 } from './q8_0.js';
import { Q2_K } from './q2_k.js';
import { Q3_K } from './q3_k.js';
import { Q4_K } from './q4_k.js';
import { Q5_K } from './q5_k.js';
import { Q6_K } from './q6_k.js';
import { Q8_K } from './q8_k.js';

/** Every block format we can compute with; each module registers itself here by being listed. */
const FORMATS: ReadonlyMap<GGMLType, QuantFormat> = new Map<GGMLType, QuantFormat>(
  ([F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K] as QuantFormat[]).map((f) => [f.type, f]),
);

/**
 * The types weights can be quantized to, in registry order. Q8_K is left out: llama.cpp uses it only for
 * activations in K-quant dot products, never to store a weight.
 */
export function weightQuantTypes(): GGMLType[] {
  return [...FORMATS.values()].filter((f) => f.quantize !== undefined && f.type !== GGMLType.Q8_K).map((f) => f.type);
}

export function quantFormat(type: GGMLType, tensorName?: string): QuantFormat {
  const f = FORMATS.get(type);
  if (f === undefined) {
    const where = tensorName === undefined ? '' : ` (tensor '${tensorName}')`;
    fail('UNSUPPORTED', `tensor type ${typeName(type)} is not supported${where}; convert the model to F16, Q8_0, Q4_0 or a K-quant`);
  }
  return f;
}

/** Dequantizes `count` values of `type` from `src` into `out` (allocated when omitted). */
export function dequantize(type: GGMLType, src: Uint8Array, count: number, out = new Float32Array(count), tensorName?: string): Float32Array {
  const format = quantFormat(type, tensorName);
  const need = byteSizeOf(type, count);
  if (src.byteLength < need) fail('BAD_ARGUMENT', `${typeName(type)} data of ${src.byteLength} bytes is too short for ${count} values (${need})`);
  if (out.length < count) fail('BAD_ARGUMENT', `output of ${out.length} floats is too small for ${count} ${typeName(type)} values`);
  format.dequantize(src, out, count);
  return out;
}

/**
 * Dequantizes row `row` of a matrix of `cols`-value rows stored as `type` in `src` (the whole tensor's bytes)
 * into `out`: an embedding lookup without dequantizing the table.
 */
export function dequantizeRow(
  type: GGMLType,
  src: Uint8Array,
  row: number,
  cols: number,
  out = new Float32Array(cols),
  tensorName?: string,
): Float32Array {
  const rowBytes = byteSizeOf(type, cols);
  const rows = Math.floor(src.byteLength / rowBytes);
  if (!Number.isInteger(row) || row < 0 || row >= rows) {
    const what = tensorName === undefined ? `${typeName(type)} matrix` : `tensor '${tensorName}'`;
    fail('BAD_ARGUMENT', `row ${row} is out of range: ${what} has ${rows} rows of ${cols} values`);
  }
  return dequantize(type, src.subarray(row * rowBytes, (row + 1) * rowBytes), cols, out, tensorName);
}

/** Quantizes `count` f32 values into a new buffer of `type`, as llama.cpp's reference quantizer. */
export function quantize(type: GGMLType, src: Float32Array, count = src.length, tensorName?: string): Uint8Array {
  const f = quantFormat(type, tensorName);
  if (f.quantize === undefined) fail('UNSUPPORTED', `quantizing to ${typeName(type)} is not supported`);
  if (count > src.length) fail('BAD_ARGUMENT', `cannot quantize ${count} values from an array of ${src.length}`);
  const { blockSize } = typeTraits(type);
  if (count % blockSize !== 0) fail('BAD_ARGUMENT', `${typeName(type)} quantizes whole ${blockSize}-value blocks; ${count} values is not a multiple`);
  // Block scales come from the block's range; inf or NaN there has no meaningful encoding (llama.cpp's result is undefined).
  if (blockSize > 1) {
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(src[i]!)) {
        const where = tensorName === undefined ? '' : ` of tensor '${tensorName}'`;
        fail('BAD_ARGUMENT', `cannot quantize ${src[i]} (value #${i}${where}) to ${typeName(type)}; only finite values have a block encoding`);
      }
    }
  }
  const dst = new Uint8Array(byteSizeOf(type, count));
  f.quantize(src, dst, count);
  return dst;
}
