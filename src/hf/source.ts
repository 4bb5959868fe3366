import type { SamplingOptions } from '../generate/types.js';
import type { LlamaConfig } from '../model/config.js';
import type { ModelSource, SourceTensor } from '../model/source.js';
import { SafeTensorsCheckpoint } from '../safetensors/checkpoint.js';
import { tokenizerFromHFFolder } from '../tokenizer/hf.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { readHFConfig, type HFModelConfig } from './config.js';
import { requireHFModelFolder } from './folder.js';
import { hfTensors, type HFTensor } from './tensors.js';

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
  ) {
    this.hf = readHFConfig(path);
    this.config = this.hf.config;
    this.generationDefaults = this.hf.generationDefaults;
    this.tokenizer = tokenizerFromHFFolder(path);
    this.chatTemplate = this.tokenizer.parts.chatTemplate;
    const typed = (t: HFTensor): SourceTensor => ({ name: t.name, type: t.naturalType, dims: t.dims, read: () => t.readAs(t.naturalType) });
    this.tensors = new Map(hfTensors(checkpoint, this.hf).map((t) => [t.name, typed(t)]));
  }

  tensor(name: string): SourceTensor | undefined {
    return this.tensors.get(name);
  }

  close(): void {
    this.checkpoint.close();
  }

  static open(dir: string): HFSource {
    requireHFModelFolder(dir);
    const checkpoint = SafeTensorsCheckpoint.open(dir);
    try {
      return new HFSource(dir, checkpoint);
    } catch (e) {
      checkpoint.close();
      throw e;
    }
  }
}

/** Opens a Hugging Face model folder as a ModelSource (what `loadModel('./folder')` uses). */
export function openHFSource(dir: string): HFSource {
  return HFSource.open(dir);
}
