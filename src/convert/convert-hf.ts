import type { GGUFMetadataEntry } from '../gguf/types.js';
import { GGUFEntry, writeGGUF, type GGUFTensorSource } from '../gguf/writer.js';
import { readHFConfig } from '../hf/config.js';
import { requireFolder } from '../hf/folder.js';
import { hfTensors } from '../hf/tensors.js';
import type { LlamaConfig } from '../model/config.js';
import { SafeTensorsCheckpoint } from '../safetensors/checkpoint.js';
import { GGMLType } from '../tensor/ggml-type.js';
import { fileTypeFromName } from './file-type.js';
import { tokenizerMetadata } from './gguf-vocab.js';
import { startProgress, type ConvertProgress } from './progress.js';
import { QUANTIZATION_VERSION } from './quantize-model.js';
import { chooseTensorTypes } from './tensor-types.js';

export interface ConvertOptions {
  onProgress?: ConvertProgress;
}

/** The general.* and <arch>.* keys llama.cpp's loader reads for a llama or qwen2 model, typed as its converter writes them. */
function modelMetadata(c: LlamaConfig, fileType: number): Map<string, GGUFMetadataEntry> {
  const a = c.architecture;
  const m = new Map<string, GGUFMetadataEntry>([
    ['general.architecture', GGUFEntry.str(a)],
    ['general.name', GGUFEntry.str(c.name)],
    [`${a}.block_count`, GGUFEntry.u32(c.blockCount)],
    [`${a}.context_length`, GGUFEntry.u32(c.contextLength)],
    [`${a}.embedding_length`, GGUFEntry.u32(c.embeddingLength)],
    [`${a}.feed_forward_length`, GGUFEntry.u32(c.feedForwardLength)],
    [`${a}.attention.head_count`, GGUFEntry.u32(c.headCount)],
    [`${a}.attention.head_count_kv`, GGUFEntry.u32(c.headCountKv)],
    [`${a}.rope.freq_base`, GGUFEntry.f32(c.ropeFreqBase)],
    [`${a}.attention.layer_norm_rms_epsilon`, GGUFEntry.f32(c.rmsEps)],
  ]);
  if (c.headDim * c.headCount !== c.embeddingLength) {
    m.set(`${a}.attention.key_length`, GGUFEntry.u32(c.headDim));
    m.set(`${a}.attention.value_length`, GGUFEntry.u32(c.headDim));
  }
  m.set('general.file_type', GGUFEntry.u32(fileType));
  m.set(`${a}.vocab_size`, GGUFEntry.u32(c.vocabSize));
  m.set(`${a}.rope.dimension_count`, GGUFEntry.u32(c.ropeDim));
  if (c.ropeScaling.kind === 'linear') {
    m.set(`${a}.rope.scaling.type`, GGUFEntry.str('linear'));
    m.set(`${a}.rope.scaling.factor`, GGUFEntry.f32(c.ropeScaling.factor));
  }
  return m;
}

/**
 * Llama 3.1-style rope scaling as GGUF carries it: per-frequency divisors in a rope_freqs.weight tensor
 * (llama.cpp's converter computes them from rope_scaling; its loader applies them).
 */
export function ropeFreqFactors(c: LlamaConfig): Float32Array | undefined {
  const s = c.ropeScaling;
  if (s.kind !== 'llama3') return undefined;
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  return Float32Array.from({ length: c.ropeDim / 2 }, (_, i) => {
    const wavelen = 2 * Math.PI * Math.pow(c.ropeFreqBase, (2 * i) / c.ropeDim);
    if (wavelen < highWavelen) return 1;
    if (wavelen > lowWavelen) return s.factor;
    const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return 1 / ((1 - smooth) / s.factor + smooth);
  });
}

/** `realizar convert`: a Hugging Face folder to one GGUF file of the given type (f16, q8_0, q4_k_m, ...). */
export function convertHF(dir: string, outputPath: string, typeName: string, options: ConvertOptions = {}): void {
  const { fileType, defaultType } = fileTypeFromName(typeName);
  requireFolder(dir);
  const hf = readHFConfig(dir);
  const metadata = modelMetadata(hf.config, fileType);
  for (const [k, v] of tokenizerMetadata(dir, hf.config.vocabSize)) metadata.set(k, v);
  metadata.set('general.quantization_version', GGUFEntry.u32(QUANTIZATION_VERSION));

  const checkpoint = SafeTensorsCheckpoint.open(dir);
  try {
    const tensors = hfTensors(checkpoint, hf);
    const types = chooseTensorTypes(
      hf.config,
      tensors.map((t) => ({ name: t.name, dims: t.dims, currentType: t.naturalType })),
      fileType,
      defaultType,
      false,
    );
    const factors = ropeFreqFactors(hf.config);
    const produced = startProgress(options.onProgress, tensors.length, tensors.reduce((a, t) => a + t.sourceBytes, 0));
    const sources: GGUFTensorSource[] = tensors.map((t) => {
      const type = types.get(t.name)!;
      return {
        name: t.name,
        type,
        dims: t.dims,
        data: () => {
          const bytes = t.readAs(type);
          produced(t.name, t.sourceBytes);
          return bytes;
        },
      };
    });
    if (factors !== undefined) {
      sources.unshift({ name: 'rope_freqs.weight', type: GGMLType.F32, dims: [factors.length], data: new Uint8Array(factors.buffer) });
    }
    writeGGUF(outputPath, metadata, sources);
  } finally {
    checkpoint.close();
  }
}
