import type { GGMLType } from '../tensor/ggml-type.js';

/** GGUF metadata value type ids (gguf spec `gguf_metadata_value_type`). */
export enum GGUFValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** A scalar as read: 64-bit integers stay bigint so that no value is rounded. */
export type GGUFScalar = number | bigint | boolean | string;

export interface GGUFArray {
  readonly itemType: GGUFValueType;
  readonly items: GGUFValue[];
}

export type GGUFValue = GGUFScalar | GGUFArray;

/** One metadata entry with its declared type, so that a writer reproduces it byte for byte. */
export interface GGUFMetadataEntry {
  readonly type: GGUFValueType;
  readonly value: GGUFValue;
}

export interface GGUFTensorInfo {
  readonly name: string;
  /** Dimensions innermost first (ggml `ne`): a matrix [cols, rows]. */
  readonly dims: readonly number[];
  readonly type: GGMLType;
  /** Offset of the tensor's bytes from the start of the data section. */
  readonly offset: number;
  /** Number of elements (product of dims). */
  readonly count: number;
  /** Bytes the tensor occupies (count / block size * block bytes). */
  readonly byteSize: number;
}

/** Byte size of each fixed-width value type; strings and arrays are variable. */
export const GGUF_SCALAR_SIZE: Partial<Record<GGUFValueType, number>> = {
  [GGUFValueType.UINT8]: 1,
  [GGUFValueType.INT8]: 1,
  [GGUFValueType.UINT16]: 2,
  [GGUFValueType.INT16]: 2,
  [GGUFValueType.UINT32]: 4,
  [GGUFValueType.INT32]: 4,
  [GGUFValueType.FLOAT32]: 4,
  [GGUFValueType.BOOL]: 1,
  [GGUFValueType.UINT64]: 8,
  [GGUFValueType.INT64]: 8,
  [GGUFValueType.FLOAT64]: 8,
};

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;

export function isGGUFArray(v: GGUFValue): v is GGUFArray {
  return typeof v === 'object' && v !== null && 'items' in v;
}
