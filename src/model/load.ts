import { fail } from '../errors.js';
import type { Backend } from '../backend/backend.js';
import type { GenerateOptions, GenerationChunk, GenerationResult } from '../generate/types.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LlamaConfig } from './config.js';

export interface LoadOptions {
  /** Tokens one sequence (prompt + generation) may hold; default the model's context length, capped at 4096. */
  contextLength?: number;
  /** Kernel backend: a name ('js') or an instance; default 'js'. */
  backend?: string | Backend;
  /** Threads for backends that use them. */
  threads?: number;
  /** Called as weights load (bytes read so far, bytes in all). */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
}

export interface ForwardOptions {
  /** Logits for every position ([tokens × vocab]) instead of only the last ([vocab]). */
  allPositions?: boolean;
}

/** A loaded model. Every generate() runs on its own KV cache, so several may run at once. */
export interface Model {
  readonly path: string;
  readonly config: LlamaConfig;
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string | undefined;
  /** Tokens one sequence may hold: a prompt plus what is generated from it. */
  readonly contextLength: number;
  /** Name of the kernel backend in use. */
  readonly backendName: string;
  /** Streams the continuation of a text prompt (or of token ids, used as given). */
  generate(prompt: string | readonly number[], options?: GenerateOptions): AsyncGenerator<GenerationChunk, GenerationResult, undefined>;
  /** Runs token ids through the model from position 0 on a fresh cache and returns logits. */
  forward(tokens: readonly number[], options?: ForwardOptions): Float32Array;
  /** Releases the backend's memory; the model is unusable afterwards. */
  dispose(): void;
}

export async function loadModel(path: string, _options: LoadOptions = {}): Promise<Model> {
  return fail('UNSUPPORTED', `loading ${path}: not implemented yet`);
}
