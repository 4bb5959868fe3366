import { fail } from '../errors.js';
import { quantize } from '../quant/index.js';
import { tensorAsF32 } from '../convert/quantize-model.js';
import type { SafeTensorsCheckpoint, CheckpointTensor } from '../safetensors/checkpoint.js';
import { dtypeToGGML } from '../safetensors/dtype.js';
import { GGMLType, typeName } from '../tensor/ggml-type.js';
import type { HFModelConfig } from './config.js';
import { permuteRotateHalfToInterleaved } from './rope-permute.js';
import { ggufTensorName } from './tensor-names.js';

/** One tensor of a Hugging Face checkpoint under its GGUF name and layout, read (and converted) on demand. */
export interface HFTensor {
  readonly name: string;
  readonly hfName: string;
  /** ggml dimensions, innermost first: the reverse of the safetensors shape. */
  readonly dims: readonly number[];
  readonly count: number;
  /** Bytes the tensor takes in the checkpoint. */
  readonly sourceBytes: number;
  /** The type the checkpoint's bytes map to without rounding: F16, BF16 or F32 (vectors are always widened to F32). */
  readonly naturalType: GGMLType;
  /** The tensor's bytes in ggml layout as `type`, converting or quantizing when it differs from the natural type. */
  readAs(type: GGMLType): Uint8Array;
}

/** Where each GGUF tensor comes in a file: llama.cpp's converter order (embedding, each layer's modules, head). */
const LAYER_ORDER = ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'];
const HEAD_ORDER = ['output_norm.weight', 'output.weight'];

/** [layer (-1 embedding, after the last layer for the head), module position, 0 for a weight / 1 for its bias]. */
function rank(name: string): [number, number, number] {
  if (name === 'token_embd.weight') return [-1, 0, 0];
  const m = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(name);
  if (m !== null) return [Number(m[1]), LAYER_ORDER.indexOf(m[2]!), m[3] === 'weight' ? 0 : 1];
  return [Number.MAX_SAFE_INTEGER, HEAD_ORDER.indexOf(name), 0];
}
function byRank(a: HFTensor, b: HFTensor): number {
  const ra = rank(a.name);
  const rb = rank(b.name);
  return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2];
}

/** The ggml type of a float checkpoint tensor (F16, BF16, F32 or F64), or an error for dtypes no model weight uses. */
function floatType(t: CheckpointTensor): GGMLType {
  const ggml = dtypeToGGML(t.dtype);
  if (ggml === GGMLType.F16 || ggml === GGMLType.BF16 || ggml === GGMLType.F32 || ggml === GGMLType.F64) return ggml;
  return fail('UNSUPPORTED', `${t.file.path}: tensor '${t.name}' has dtype ${t.dtype}; model weights must be F32, F16 or BF16`);
}

/** The natural (lossless) ggml type of a checkpoint tensor; vectors are widened to F32 whatever their dtype. */
function naturalType(t: CheckpointTensor): GGMLType {
  if (t.shape.length <= 1) return GGMLType.F32;
  const ggml = floatType(t);
  return ggml === GGMLType.F64 ? GGMLType.F32 : ggml;
}

/** The checkpoint bytes as f32 values, whatever their float dtype. */
function checkpointF32(t: CheckpointTensor, bytes: Uint8Array): Float32Array {
  const ggml = floatType(t);
  if (ggml === GGMLType.F64) return Float32Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, t.count));
  return tensorAsF32(ggml, bytes, t.count, t.name);
}

/**
 * The tensors of a llama/mistral/qwen2 checkpoint in GGUF's vocabulary: renamed, dims reversed, llama's Q/K
 * rows permuted to GGUF's rope layout (see rope-permute.ts), in the order llama.cpp's converter writes them.
 */
export function hfTensors(checkpoint: SafeTensorsCheckpoint, hf: HFModelConfig): HFTensor[] {
  const { config } = hf;
  const permuteHeads = (name: string): number | undefined => {
    if (config.architecture !== 'llama') return undefined;
    if (/^blk\.\d+\.attn_q\.(weight|bias)$/.test(name)) return config.headCount;
    if (/^blk\.\d+\.attn_k\.(weight|bias)$/.test(name)) return config.headCountKv;
    return undefined;
  };

  const out: HFTensor[] = [];
  for (const t of checkpoint.tensors) {
    const name = ggufTensorName(t.name, t.file.path);
    if (name === null) continue;
    const natural = naturalType(t);
    const heads = permuteHeads(name);
    const rows = t.shape[0] ?? 1;
    if (heads !== undefined && rows % (2 * heads) !== 0) {
      fail('BAD_FILE', `${t.file.path}: tensor '${t.name}' has ${rows} rows, not a whole number of ${heads} heads of even size`);
    }
    const dims = t.shape.length === 0 ? [1] : [...t.shape].reverse();
    out.push({
      name,
      hfName: t.name,
      dims,
      count: t.count,
      sourceBytes: t.byteSize,
      naturalType: natural,
      readAs(type: GGMLType): Uint8Array {
        let bytes = t.file.read(t);
        if (heads !== undefined) bytes = permuteRotateHalfToInterleaved(bytes, rows, heads);
        if (type === dtypeToGGML(t.dtype)) return bytes;
        const f32 = checkpointF32(t, bytes);
        if (type === GGMLType.F32) return new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
        if (t.shape.length < 2 && type !== GGMLType.F16 && type !== GGMLType.BF16) {
          fail('BAD_ARGUMENT', `tensor '${name}' is a vector; it cannot be stored as ${typeName(type)}`);
        }
        return quantize(type, f32);
      },
    });
  }
  return out.sort(byRank);
}
