import { GGUFFile } from '../gguf/reader.js';
import { llamaConfigFromGGUF } from '../gguf/hparams.js';
import { tokenizerFromGGUF } from '../tokenizer/gguf.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LlamaConfig } from './config.js';
import type { ModelSource, SourceTensor } from './source.js';

/** A model source over one GGUF file: hyper-parameters and tokenizer from its metadata, tensors read on demand. */
export class GGUFSource implements ModelSource {
  readonly config: LlamaConfig;
  readonly chatTemplate: string | undefined;

  readonly tokenizer: Tokenizer;

  private constructor(private readonly file: GGUFFile) {
    this.config = llamaConfigFromGGUF(file);
    this.tokenizer = tokenizerFromGGUF(file);
    this.chatTemplate = file.getString('tokenizer.chat_template');
  }

  static open(path: string): GGUFSource {
    const file = GGUFFile.open(path);
    try {
      return new GGUFSource(file);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  get path(): string {
    return this.file.path;
  }

  tensor(name: string): SourceTensor | undefined {
    const info = this.file.tensor(name);
    if (info === undefined) return undefined;
    return { name, type: info.type, dims: info.dims, read: () => this.file.readTensor(info), readInto: (target) => void this.file.readTensor(info, target) };
  }

  close(): void {
    this.file.close();
  }
}
