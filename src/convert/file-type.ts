import { fail } from '../errors.js';
import { FileType } from '../gguf/file-type.js';
import { GGMLType } from '../tensor/ggml-type.js';

interface FileTypeInfo {
  readonly fileType: FileType;
  /** The type most matrices get (llama.cpp's `default_type`). */
  readonly defaultType: GGMLType;
}

/** The names `realizar quantize` accepts, as llama-quantize spells them (Q4_K means Q4_K_M there too). */
const BY_NAME: ReadonlyMap<string, FileTypeInfo> = new Map([
  ['F32', { fileType: FileType.ALL_F32, defaultType: GGMLType.F32 }],
  ['F16', { fileType: FileType.MOSTLY_F16, defaultType: GGMLType.F16 }],
  ['BF16', { fileType: FileType.MOSTLY_BF16, defaultType: GGMLType.BF16 }],
  ['Q4_0', { fileType: FileType.MOSTLY_Q4_0, defaultType: GGMLType.Q4_0 }],
  ['Q4_1', { fileType: FileType.MOSTLY_Q4_1, defaultType: GGMLType.Q4_1 }],
  ['Q5_0', { fileType: FileType.MOSTLY_Q5_0, defaultType: GGMLType.Q5_0 }],
  ['Q5_1', { fileType: FileType.MOSTLY_Q5_1, defaultType: GGMLType.Q5_1 }],
  ['Q8_0', { fileType: FileType.MOSTLY_Q8_0, defaultType: GGMLType.Q8_0 }],
  ['Q2_K', { fileType: FileType.MOSTLY_Q2_K, defaultType: GGMLType.Q2_K }],
  ['Q3_K', { fileType: FileType.MOSTLY_Q3_K_M, defaultType: GGMLType.Q3_K }],
  ['Q3_K_S', { fileType: FileType.MOSTLY_Q3_K_S, defaultType: GGMLType.Q3_K }],
  ['Q3_K_M', { fileType: FileType.MOSTLY_Q3_K_M, defaultType: GGMLType.Q3_K }],
  ['Q3_K_L', { fileType: FileType.MOSTLY_Q3_K_L, defaultType: GGMLType.Q3_K }],
  ['Q4_K', { fileType: FileType.MOSTLY_Q4_K_M, defaultType: GGMLType.Q4_K }],
  ['Q4_K_S', { fileType: FileType.MOSTLY_Q4_K_S, defaultType: GGMLType.Q4_K }],
  ['Q4_K_M', { fileType: FileType.MOSTLY_Q4_K_M, defaultType: GGMLType.Q4_K }],
  ['Q5_K', { fileType: FileType.MOSTLY_Q5_K_M, defaultType: GGMLType.Q5_K }],
  ['Q5_K_S', { fileType: FileType.MOSTLY_Q5_K_S, defaultType: GGMLType.Q5_K }],
  ['Q5_K_M', { fileType: FileType.MOSTLY_Q5_K_M, defaultType: GGMLType.Q5_K }],
  ['Q6_K', { fileType: FileType.MOSTLY_Q6_K, defaultType: GGMLType.Q6_K }],
]);

export const FILE_TYPE_NAMES: readonly string[] = [...BY_NAME.keys()];

export function fileTypeFromName(name: string): FileTypeInfo {
  return BY_NAME.get(name.toUpperCase()) ?? fail('BAD_ARGUMENT', `unknown quantization type '${name}' (one of ${FILE_TYPE_NAMES.join(', ')})`);
}

/** True for the block-quantized types (not F32/F16/BF16), which llama.cpp mixes per tensor. */
export function isQuantized(type: GGMLType): boolean {
  return type !== GGMLType.F32 && type !== GGMLType.F16 && type !== GGMLType.BF16;
}
