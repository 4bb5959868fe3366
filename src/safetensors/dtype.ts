import { GGMLType } from '../tensor/ggml-type.js';

/** Element types a safetensors header may name (the format's `Dtype` enum). */
export type SafeTensorsDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

interface DTypeTraits {
  /** Bytes per element. */
  readonly size: number;
  /** The ggml type holding the same bytes, where ggml has one. */
  readonly ggml?: GGMLType;
}

const DTYPES: Readonly<Record<SafeTensorsDType, DTypeTraits>> = {
  BOOL: { size: 1 },
  U8: { size: 1 },
  I8: { size: 1, ggml: GGMLType.I8 },
  F8_E4M3: { size: 1 },
  F8_E5M2: { size: 1 },
  I16: { size: 2, ggml: GGMLType.I16 },
  U16: { size: 2 },
  F16: { size: 2, ggml: GGMLType.F16 },
  BF16: { size: 2, ggml: GGMLType.BF16 },
  I32: { size: 4, ggml: GGMLType.I32 },
  U32: { size: 4 },
  F32: { size: 4, ggml: GGMLType.F32 },
  F64: { size: 8, ggml: GGMLType.F64 },
  I64: { size: 8, ggml: GGMLType.I64 },
  U64: { size: 8 },
};

export function isSafeTensorsDType(name: string): name is SafeTensorsDType {
  return Object.hasOwn(DTYPES, name);
}

export function dtypeSize(dtype: SafeTensorsDType): number {
  return DTYPES[dtype].size;
}

/** The ggml type with the same element encoding, or undefined (unsigned ints, bool, fp8). */
export function dtypeToGGML(dtype: SafeTensorsDType): GGMLType | undefined {
  return DTYPES[dtype].ggml;
}

/** Typed arrays a tensor's elements can be viewed as; F16/BF16 stay as raw 16-bit patterns. */
export type SafeTensorsValues =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * The elements of `bytes` as a typed array of `dtype`: a view sharing the bytes when their offset is a
 * multiple of the element size (typed arrays require it), a copy otherwise. safetensors only promises
 * little-endian data, which is what every typed array on the platforms Node runs on reads.
 */
export function typedValues(dtype: SafeTensorsDType, bytes: Uint8Array): SafeTensorsValues {
  const size = dtypeSize(dtype);
  const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = src;
  const n = src.byteLength / size;
  switch (dtype) {
    case 'BOOL':
    case 'U8':
    case 'F8_E4M3':
    case 'F8_E5M2':
      return src;
    case 'I8':
      return new Int8Array(buffer, byteOffset, n);
    case 'I16':
      return new Int16Array(buffer, byteOffset, n);
    case 'U16':
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer, byteOffset, n);
    case 'I32':
      return new Int32Array(buffer, byteOffset, n);
    case 'U32':
      return new Uint32Array(buffer, byteOffset, n);
    case 'F32':
      return new Float32Array(buffer, byteOffset, n);
    case 'F64':
      return new Float64Array(buffer, byteOffset, n);
    case 'I64':
      return new BigInt64Array(buffer, byteOffset, n);
    case 'U64':
      return new BigUint64Array(buffer, byteOffset, n);
  }
}
