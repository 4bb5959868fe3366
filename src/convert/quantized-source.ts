import type { ModelSource, SourceTensor } from '../model/source.js';
import { quantize } from '../quant/index.js';
import { GGMLType } from '../tensor/ggml-type.js';
import { tensorAsF32 } from './quantize-model.js';
import { fallbackType, isQuantizable } from './tensor-types.js';

const FLOAT_TYPES: ReadonlySet<GGMLType> = new Set([GGMLType.F32, GGMLType.F16, GGMLType.BF16]);

/**
 * `source` with every F32/F16/BF16 weight matrix quantized to `type` as it is read (`--quantize` at load),
 * so a model kept in full precision on disk runs in the memory of a quantized one. Norms and biases stay
 * F32; rows that do not split into whole blocks of `type` fall back as llama.cpp's quantizer does.
 */
export function quantizedSource(source: ModelSource, type: GGMLType): ModelSource {
  const tensor = (name: string): SourceTensor | undefined => {
    const t = source.tensor(name);
    if (t === undefined || !FLOAT_TYPES.has(t.type) || !isQuantizable(t)) return t;
    const target = fallbackType(type, t.dims[0]!);
    const count = t.dims.reduce((a, b) => a * b, 1);
    return { name, type: target, dims: t.dims, read: () => quantize(target, tensorAsF32(t.type, t.read(), count, name)) };
  };
  return {
    path: source.path,
    config: source.config,
    tokenizer: source.tokenizer,
    chatTemplate: source.chatTemplate,
    tensor,
    close: () => source.close(),
  };
}
