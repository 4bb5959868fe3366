import { fail } from '../errors.js';
import { GGUFFile } from '../gguf/reader.js';
import { GGUFValueType, type GGUFMetadataEntry } from '../gguf/types.js';
import { writeGGUF, type GGUFTensorSource } from '../gguf/writer.js';
import { dequantize, quantize } from '../quant/index.js';
import { GGMLType, typeName } from '../tensor/ggml-type.js';
import { fileTypeFromName, isQuantized } from './file-type.js';
import { startProgress, type ConvertProgress } from './progress.js';
import { chooseTensorTypes, quantizationOrder } from './tensor-types.js';

/** ggml's quantization format version (GGML_QNT_VERSION), written as general.quantization_version. */
export const QUANTIZATION_VERSION = 2;

export interface QuantizeOptions {
  /** One type for every matrix instead of llama.cpp's per-tensor mix (`llama-quantize --pure`). */
  pure?: boolean;
  /** Allow quantizing tensors that are already quantized (lossy twice over). */
  allowRequantize?: boolean;
  onProgress?: ConvertProgress;
}

function count(f: GGUFFile, key: string): number {
  const v = f.get(key);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return fail('MISSING', `${f.path}: metadata key '${key}' must be a positive integer to choose quantization types`);
  return v;
}

/** The tensor in f32, whatever its stored type. */
export function tensorAsF32(type: GGMLType, bytes: Uint8Array, elements: number, name: string): Float32Array {
  if (type === GGMLType.F32) return new Float32Array(bytes.buffer, bytes.byteOffset, elements);
  return dequantize(type, bytes, elements, undefined, name);
}

/**
 * Metadata for the output: the input's, with general.quantization_version and general.file_type moved to the
 * end (llama.cpp removes and re-adds them, which is where llama-quantize's files have them) and split keys dropped.
 */
function quantizedMetadata(input: ReadonlyMap<string, GGUFMetadataEntry>, fileType: number): Map<string, GGUFMetadataEntry> {
  const out = new Map(input);
  for (const key of ['split.no', 'split.count', 'split.tensors.count', 'general.quantization_version', 'general.file_type']) out.delete(key);
  out.set('general.quantization_version', { type: GGUFValueType.UINT32, value: QUANTIZATION_VERSION });
  out.set('general.file_type', { type: GGUFValueType.UINT32, value: fileType });
  return out;
}

/** `realizar quantize`: re-encodes a GGUF's matrices as `typeName` (a llama-quantize file type name). */
export function quantizeGGUF(inputPath: string, outputPath: string, typeName_: string, options: QuantizeOptions = {}): void {
  const { fileType, defaultType } = fileTypeFromName(typeName_);
  const f = GGUFFile.open(inputPath);
  try {
    const arch = f.get('general.architecture');
    if (typeof arch !== 'string') fail('MISSING', `${inputPath}: metadata key 'general.architecture' is missing`);
    const model = {
      blockCount: count(f, `${arch}.block_count`),
      headCount: count(f, `${arch}.attention.head_count`),
      headCountKv: f.get(`${arch}.attention.head_count_kv`) === undefined ? count(f, `${arch}.attention.head_count`) : count(f, `${arch}.attention.head_count_kv`),
    };
    const types = chooseTensorTypes(model, f.tensors.map((t) => ({ name: t.name, dims: t.dims, currentType: t.type })), fileType, defaultType, options.pure ?? false);
    const ordered = quantizationOrder(f.tensors);
    const produced = startProgress(options.onProgress, ordered.length, ordered.reduce((a, t) => a + t.byteSize, 0));
    const tensors: GGUFTensorSource[] = ordered.map((info) => {
      const type = types.get(info.name)!;
      return {
        name: info.name,
        type,
        dims: info.dims,
        data: () => {
          const bytes = f.readTensor(info);
          let out = bytes;
          if (type !== info.type) {
            if (isQuantized(info.type) && !options.allowRequantize) {
              fail('BAD_ARGUMENT', `${inputPath}: tensor '${info.name}' is already ${typeName(info.type)}; quantize from an F32/F16/BF16 model, or allow requantizing`);
            }
            out = quantize(type, tensorAsF32(info.type, bytes, info.count, info.name));
          }
          produced(info.name, info.byteSize);
          return out;
        },
      };
    });
    writeGGUF(outputPath, quantizedMetadata(f.metadata, fileType), tensors);
  } finally {
    f.close();
  }
}
