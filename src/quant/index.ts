import { fail } from '../errors.js';
import { GGMLType, byteSizeOf, typeName } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';

/** Every block format we can compute with; each module registers itself here by being listed. */
const FORMATS: ReadonlyMap<GGMLType, QuantFormat> = new Map<GGMLType, QuantFormat>(
  ([] as QuantFormat[]).map((f) => [f.type, f]),
);

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
  const need = byteSizeOf(type, count);
  if (src.byteLength < need) fail('BAD_ARGUMENT', `${typeName(type)} data of ${src.byteLength} bytes is too short for ${count} values (${need})`);
  quantFormat(type, tensorName).dequantize(src, out, count);
  return out;
}

/** Quantizes `count` f32 values into a new buffer of `type`, as llama.cpp's reference quantizer. */
export function quantize(type: GGMLType, src: Float32Array, count = src.length): Uint8Array {
  const f = quantFormat(type);
  if (f.quantize === undefined) fail('UNSUPPORTED', `quantizing to ${typeName(type)} is not supported`);
  const dst = new Uint8Array(byteSizeOf(type, count));
  f.quantize(src, dst, count);
  return dst;
}
