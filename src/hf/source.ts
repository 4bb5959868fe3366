import type { SamplingOptions } from '../generate/types.js';
import type { LlamaConfig } from '../model/config.js';
import type { ModelSource, SourceTensor } from '../model/source.js';
import { SafeTensorsCheckpoint } from '../safetensors/checkpoint.js';
import type { GGMLType } from '../tensor/ggml-type.js';
import { tokenizerFromHFFolder } from '../tokenizer/hf.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { fallbackType, isQuantizable } from '../convert/tensor-types.js';
import { readHFConfig, type HFModelConfig } from './config.js';
import { hfTensors, type HFTensor } from './tensors.js';

export interface HFSourceOptions {
  /**
   * Store every weight matrix as this type (Q8_0, Q4_K, ...) as it is read, so a model kept in F16/BF16/F32
   * on disk runs in less memory; rows that do not split into its blocks fall back as llama.cpp's quantizer does.
   */
  quantize?: GGMLType;
}

/**
 * A Hugging Face model folder (config.json, safetensors weights, tokenizer.json) as a ModelSource: the
 * model sees GGUF names and layouts, tensors read from the shards when asked for.
 */
export class HFSource implements ModelSource {
  readonly config: LlamaConfig;
  readonly tokenizer: TextTokenizer;
  readonly chatTemplate: string | undefined;
  /** Sampling defaults from generation_config.json. */
  readonly generationDefaults: SamplingOptions;
  readonly hf: HFModelConfig;
  private readonly tensors: ReadonlyMap<string, SourceTensor>;

  private constructor(
    readonly path: string,
    private readonly checkpoint: SafeTensorsCheckpoint,
    options: HFSourceOptions,
  ) {
    this.hf = readHFConfig(path);
    this.config = this.hf.config;
    this.generationDefaults = this.hf.generationDefaults;
    this.tokenizer = tokenizerFromHFFolder(path);
    this.chatTemplate = this.tokenizer.parts.chatTemplate;
    const typed = (t: HFTensor): SourceTensor => {
      const type = options.quantize !== undefined && isQuantizable(t) ? fallbackType(options.quantize, t.dims[0]!) : t.naturalType;
      return { name: t.name, type, dims: t.dims, read: () => t.readAs(type) };
    };
    this.tensors = new Map(hfTensors(checkpoint, this.hf).map((t) => [t.name, typed(t)]));
  }

  tensor(name: string): SourceTensor | undefined {
    return this.tensors.get(name);
  }

  /** Every tensor, in the order llama.cpp's converter writes them. */
  allTensors(): SourceTensor[] {
    return [...this.tensors.values()];
  }

  close(): void {
    this.checkpoint.close();
  }

  static open(dir: string, options: HFSourceOptions = {}): HFSource {
    const checkpoint = SafeTensorsCheckpoint.open(dir);
    try {
      return new HFSource(dir, checkpoint, options);
    } catch (e) {
      checkpoint.close();
      throw e;
    }
  }
}

/** Opens a Hugging Face model folder as a ModelSource (what `loadModel('./folder')` uses). */
export function openHFSource(dir: string, options: HFSourceOptions = {}): HFSource {
  return HFSource.open(dir, options);
}
