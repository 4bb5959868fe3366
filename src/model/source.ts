import type { GGMLType } from '../tensor/ggml-type.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LlamaConfig } from './config.js';

export interface SourceTensor {
  readonly name: string;
  readonly type: GGMLType;
  /** Dimensions innermost first, as ggml/GGUF: a matrix is [cols, rows]. */
  readonly dims: readonly number[];
  /** The tensor's bytes in ggml layout (GGUF naming and Q/K order), read when called. */
  read(): Uint8Array;
  /** Reads the same bytes straight into `target` (at least their size), with no copy in between; where the file allows. */
  readInto?(target: Uint8Array): void;
}

/**
 * Everything a model needs from a file or folder, in GGUF's vocabulary (tensor names like
 * `blk.0.attn_q.weight`). A GGUF file is one implementation; a Hugging Face folder (hf/) another,
 * which renames and re-lays-out its tensors to match.
 */
export interface ModelSource {
  readonly path: string;
  readonly config: LlamaConfig;
  readonly tokenizer: Tokenizer;
  /** Jinja chat template shipped with the model, if any. */
  readonly chatTemplate: string | undefined;
  tensor(name: string): SourceTensor | undefined;
  close(): void;
}
