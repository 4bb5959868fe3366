import { GGMLType } from '../tensor/ggml-type.js';
import type { QuantFormat } from './format.js';

/*
 * 16-bit floats: IEEE half (F16) and bfloat16 (BF16), converted to and from f32 with ggml's rounding rules.
 * Conversions work on bit patterns, not on JS numbers, so that every result is exact and NaN payloads are not
 * at the mercy of the engine's NaN canonicalisation.
 */

/** f32 bit pattern of a half: ggml widens through a float multiply, which quiets a signalling NaN. */
function halfToSingleBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa === 0 ? 0 : 0x400000 | (mantissa << 13))) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // A half subnormal is mantissa * 2^-24; every one of them is a normal f32, so shift its leading 1 into place.
  let m = mantissa;
  let e = 113;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/**
 * Half bits from f32 bits, round to nearest even, as ggml's GGML_FP32_TO_FP16: overflow (|x| >= 65520) gives inf,
 * results below the half normal range become half subnormals (rounded, not flushed), and any NaN becomes the
 * quiet NaN 0x7e00 with the sign kept (ggml's portable path; the F16C instruction keeps payload bits instead).
 */
function singleBitsToHalf(w: number): number {
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Rebias the exponent (127 -> 15) and round the 13 dropped bits; a carry moves into the exponent as it should.
    return sign | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
  }
  // Half subnormal: the value in units of 2^-24 is the f32 significand shifted right by `shift`.
  const shift = 126 - (abs >>> 23);
  if (shift > 24) return sign;
  const significand = (abs & 0x7fffff) | 0x800000;
  let q = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++;
  return sign | q;
}

/** bf16 bits from f32 bits as ggml_compute_fp32_to_bf16: round to nearest even, NaN forced quiet, no flushing. */
function singleBitsToBrain(w: number): number {
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) | 0x40) & 0xffff;
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

/** f32 bit patterns of all 65536 halves: widening a half is one load, as ggml's ggml_table_f32_f16. */
const HALF_TO_SINGLE_BITS = new Uint32Array(65536);
for (let h = 0; h < 65536; h++) HALF_TO_SINGLE_BITS[h] = halfToSingleBits(h);

/** The same table as values: the f32 value of every half, indexed by its bits. */
export const F16_TO_F32: Float32Array = new Float32Array(HALF_TO_SINGLE_BITS.buffer);

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function singleBits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0]!;
}

export function fp16ToFp32(h: number): number {
  return F16_TO_F32[h & 0xffff]!;
}

/** Half bits of `value` (first rounded to f32, as a C float argument would be). */
export function fp32ToFp16(value: number): number {
  return singleBitsToHalf(singleBits(value));
}

export function bf16ToFp32(h: number): number {
  scratchU32[0] = (h & 0xffff) << 16;
  return scratchF32[0]!;
}

export function fp32ToBf16(value: number): number {
  return singleBitsToBrain(singleBits(value));
}

/** The half stored little-endian at `offset`, as f32: how block formats read their scales. */
export function readHalf(bytes: Uint8Array, offset: number): number {
  return F16_TO_F32[bytes[offset]! | (bytes[offset + 1]! << 8)]!;
}

/** Stores `value` rounded to a half, little-endian, at `offset`. */
export function writeHalf(bytes: Uint8Array, offset: number, value: number): void {
  const h = fp32ToFp16(value);
  bytes[offset] = h & 0xff;
  bytes[offset + 1] = h >>> 8;
}

/** The bits of the first `count` floats of `a`; Float32Arrays are always 4-byte aligned, so the view is legal. */
function bitsOf(a: Float32Array, count: number): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, count);
}

export const F16: QuantFormat = {
  type: GGMLType.F16,
  dequantize(src, out, count) {
    const bits = bitsOf(out, count);
    for (let i = 0, j = 0; i < count; i++, j += 2) bits[i] = HALF_TO_SINGLE_BITS[src[j]! | (src[j + 1]! << 8)]!;
  },
  quantize(src, dst, count) {
    const bits = bitsOf(src, count);
    for (let i = 0, j = 0; i < count; i++, j += 2) {
      const h = singleBitsToHalf(bits[i]!);
      dst[j] = h & 0xff;
      dst[j + 1] = h >>> 8;
    }
  },
};

export const BF16: QuantFormat = {
  type: GGMLType.BF16,
  dequantize(src, out, count) {
    const bits = bitsOf(out, count);
    for (let i = 0, j = 0; i < count; i++, j += 2) bits[i] = ((src[j]! | (src[j + 1]! << 8)) << 16) >>> 0;
  },
  quantize(src, dst, count) {
    const bits = bitsOf(src, count);
    for (let i = 0, j = 0; i < count; i++, j += 2) {
      const h = singleBitsToBrain(bits[i]!);
      dst[j] = h & 0xff;
      dst[j + 1] = h >>> 8;
    }
  },
};
