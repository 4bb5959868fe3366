import { GGMLType, typeTraits } from '../tensor/ggml-type.js';
import { FileType } from '../gguf/file-type.js';
import { isQuantized } from './file-type.js';

/*
 * Which type each tensor of a llama-family model gets under a quantization mix: llama.cpp's
 * llama_model_quantize_impl (which tensors are quantized at all) and llama_tensor_get_type (the
 * per-tensor choice), for the file types we produce and the dense llama/qwen2 architectures we run.
 * The choices depend on the order tensors are visited (attn_v counts up as it goes), which is
 * llama.cpp's: by layer number, non-layer tensors first, then by name (see `quantizationOrder`).
 */

export interface ModelShape {
  readonly blockCount: number;
  readonly headCount: number;
  readonly headCountKv: number;
}

export interface TensorShape {
  readonly name: string;
  /** ggml dimensions, innermost first. */
  readonly dims: readonly number[];
}

/** llama.cpp's model-loader order: by layer (non-layer tensors count as layer -1), then by name. */
export function quantizationOrder<T extends { readonly name: string }>(tensors: readonly T[]): T[] {
  const layer = (name: string): number => {
    const m = /^blk\.(\d+)\./.exec(name);
    return m === null ? -1 : Number(m[1]);
  };
  return [...tensors].sort((a, b) => layer(a.name) - layer(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether llama.cpp quantizes a tensor at all: 2-D+ weights except norms (and a few non-llama exceptions). */
export function isQuantizable(t: TensorShape): boolean {
  return t.name.endsWith('weight') && t.dims.length >= 2 && !t.name.includes('_norm.weight');
}

/** Layers that get more bits in the *_M mixes: the first and last eighth, and every third in between. */
function useMoreBits(layer: number, layers: number): boolean {
  return layer < Math.trunc(layers / 8) || layer >= Math.trunc((7 * layers) / 8) || (layer - Math.trunc(layers / 8)) % 3 === 2;
}

/**
 * The type llama.cpp falls back to when a row does not split into whole blocks of `type`
 * (K-quants need rows of 256); F16 when even that does not fit.
 */
export function fallbackType(type: GGMLType, cols: number): GGMLType {
  if (cols % typeTraits(type).blockSize === 0) return type;
  const fallback: Partial<Record<GGMLType, GGMLType>> = {
    [GGMLType.Q2_K]: GGMLType.IQ4_NL,
    [GGMLType.Q3_K]: GGMLType.IQ4_NL,
    [GGMLType.Q4_K]: GGMLType.Q5_0,
    [GGMLType.Q5_K]: GGMLType.Q5_1,
    [GGMLType.Q6_K]: GGMLType.Q8_0,
  };
  const next = fallback[type] ?? GGMLType.F16;
  return cols % typeTraits(next).blockSize === 0 ? next : GGMLType.F16;
}

/**
 * Chooses per-tensor types for a whole model, visiting tensors in llama.cpp's order. Returns the type of
 * every tensor by name (unquantized tensors keep `currentType`).
 */
export function chooseTensorTypes(
  model: ModelShape,
  tensors: readonly (TensorShape & { readonly currentType: GGMLType })[],
  fileType: FileType,
  defaultType: GGMLType,
  pure: boolean,
): Map<string, GGMLType> {
  const ordered = quantizationOrder(tensors);
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  const nAttnV = tensors.filter((t) => t.name.includes('attn_v.weight')).length;
  const gqa = model.headCount / model.headCountKv;
  const is70B = model.blockCount === 80;
  let iAttnV = 0;
  let iFfnDown = 0;
  const nLayers = model.blockCount;

  const mixType = (t: TensorShape): GGMLType => {
    const { name } = t;
    const ft = fileType;
    let type = defaultType;
    if (name === 'output.weight' || (!hasOutput && name === 'token_embd.weight')) {
      if (t.dims[0]! % typeTraits(type).blockSize !== 0) type = GGMLType.Q8_0;
      else if (type !== GGMLType.Q8_0) type = GGMLType.Q6_K;
    } else if (name === 'token_embd.weight') {
      // No change for the file types we produce (only the IQ and TQ mixes touch it).
    } else if (name.includes('attn_v.weight')) {
      if (ft === FileType.MOSTLY_Q2_K) type = gqa >= 4 ? GGMLType.Q4_K : GGMLType.Q3_K;
      else if (ft === FileType.MOSTLY_Q3_K_M) type = iAttnV < 2 ? GGMLType.Q5_K : GGMLType.Q4_K;
      else if (ft === FileType.MOSTLY_Q3_K_L) type = GGMLType.Q5_K;
      else if ((ft === FileType.MOSTLY_Q4_K_M || ft === FileType.MOSTLY_Q5_K_M) && useMoreBits(iAttnV, nAttnV)) type = GGMLType.Q6_K;
      else if (ft === FileType.MOSTLY_Q4_K_S && iAttnV < 4) type = GGMLType.Q5_K;
      // 70B llamas share each attn_v across 8 heads, making it small: more bits cost little there.
      if (is70B && (type === GGMLType.Q3_K || type === GGMLType.Q4_K)) type = GGMLType.Q5_K;
      iAttnV++;
    } else if (name.includes('ffn_down')) {
      const layer = iFfnDown;
      if (ft === FileType.MOSTLY_Q2_K) type = GGMLType.Q3_K;
      else if (ft === FileType.MOSTLY_Q3_K_M) type = layer < Math.trunc(nLayers / 16) ? GGMLType.Q5_K : GGMLType.Q4_K;
      else if (ft === FileType.MOSTLY_Q3_K_L) type = GGMLType.Q5_K;
      else if (ft === FileType.MOSTLY_Q4_K_M) {
        if (useMoreBits(layer, nLayers)) type = GGMLType.Q6_K;
      } else if (ft === FileType.MOSTLY_Q5_K_M && useMoreBits(layer, nLayers)) type = GGMLType.Q6_K;
      else if (ft === FileType.MOSTLY_Q4_K_S && layer < Math.trunc(nLayers / 8)) type = GGMLType.Q5_K;
      iFfnDown++;
    } else if (name.includes('attn_output.weight')) {
      if (ft === FileType.MOSTLY_Q2_K) type = GGMLType.Q3_K;
      else if (ft === FileType.MOSTLY_Q3_K_M) type = GGMLType.Q4_K;
      else if (ft === FileType.MOSTLY_Q3_K_L) type = GGMLType.Q5_K;
    }
    return fallbackType(type, t.dims[0]!);
  };

  const out = new Map<string, GGMLType>();
  for (const t of ordered) {
    let type = t.currentType;
    // --pure skips the mix but keeps the fallback, where llama.cpp would abort on a row of the wrong length.
    if (isQuantizable(t)) type = pure || !isQuantized(defaultType) ? fallbackType(defaultType, t.dims[0]!) : mixType(t);
    out.set(t.name, type);
  }
  return out;
}
