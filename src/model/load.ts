import { statSync } from 'node:fs';
import { fail, systemErrorText } from '../errors.js';
import type { Backend, KvType } from '../backend/backend.js';
import { JsBackend } from '../backend/js/backend.js';
import { WasmBackend } from '../backend/wasm/backend.js';
import { generate } from '../generate/generate.js';
import type { GenerateOptions, GenerationChunk, GenerationResult } from '../generate/types.js';
import { openHFSource } from '../hf/source.js';
import { quantizedSource } from '../convert/quantized-source.js';
import { GGMLType, typeName } from '../tensor/ggml-type.js';
import { weightQuantTypes } from '../quant/index.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LlamaConfig } from './config.js';
import { GGUFSource } from './gguf-source.js';
import { Llama } from './llama.js';
import type { ModelSource } from './source.js';

/** Context a model gets when the caller does not ask: its trained length, capped so the KV cache stays modest. */
export const DEFAULT_CONTEXT_CAP = 4096;

export interface LoadOptions {
  /** Tokens one sequence (prompt + generation) may hold; default the model's context length, capped at 4096. */
  contextLength?: number;
  /** Kernel backend: a name ('wasm', 'js') or an instance; default 'wasm'. */
  backend?: string | Backend;
  /** Threads for backends that use them. */
  threads?: number;
  /** Called as weights load (bytes read so far, bytes in all). */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  /** Quantize F32/F16/BF16 weight matrices to this type as they load ('q8_0', 'q4_k', ...), to run in less memory. */
  quantize?: string;
  /** KV cache type: 'f16' (half the memory, llama.cpp's default) or 'f32'; default f16 on wasm, f32 on js (the exact reference). */
  kvType?: KvType;
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

/** A GGUF file, or a Hugging Face model folder. */
function openSource(path: string): ModelSource {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    return fail('MISSING', `cannot open model ${path}: ${systemErrorText(e)}`);
  }
  return isDir ? openHFSource(path) : GGUFSource.open(path);
}

function positiveInteger(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) fail('BAD_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  return value;
}

/** The type `quantize` names, checked before anything is read: only types weights can be quantized to. */
function quantizeTarget(name: string): GGMLType {
  const types = weightQuantTypes();
  const upper = name.toUpperCase();
  const type = types.find((t) => typeName(t) === upper);
  if (type === undefined) {
    const known = Object.values(GGMLType).some((t) => typeof t === 'number' && typeName(t) === upper);
    const problem = known ? `cannot quantize weights to ${upper} as they load` : `unknown tensor type '${name}'`;
    fail('BAD_ARGUMENT', `${problem}; the quantize option (--quantize) takes ${types.map((t) => typeName(t).toLowerCase()).join(', ')}`);
  }
  return type;
}

function kvCacheType(value: string | undefined): KvType | undefined {
  if (value !== undefined && value !== 'f16' && value !== 'f32') fail('BAD_ARGUMENT', `kvType (--kv-type) must be f16 or f32, got '${value}'`);
  return value;
}

/** The kernels to compute with: 'wasm' (SIMD on worker threads), 'js' (portable reference) or a Backend the caller built. */
async function createBackend(choice: string | Backend, threads: number | undefined): Promise<Backend> {
  if (typeof choice !== 'string') return choice;
  if (choice === 'wasm') return new WasmBackend(threads === undefined ? {} : { threads });
  if (choice === 'js') return new JsBackend();
  return fail('BAD_ARGUMENT', `unknown backend '${choice}' (available: wasm, js)`);
}

/** Opens a model (a GGUF file or a Hugging Face folder) and loads its weights onto a backend. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  const asked = positiveInteger('contextLength', options.contextLength);
  const threads = positiveInteger('threads', options.threads);
  const kvType = kvCacheType(options.kvType);
  const quantizeTo = options.quantize === undefined ? undefined : quantizeTarget(options.quantize);
  const opened = openSource(path);
  const source = quantizeTo === undefined ? opened : quantizedSource(opened, quantizeTo);
  try {
    const contextLength = asked ?? Math.min(source.config.contextLength, DEFAULT_CONTEXT_CAP);
    Llama.checkConfig(source.config, source.path);
    const backend = await createBackend(options.backend ?? 'wasm', threads);
    const llama = Llama.load(source, backend, options.onProgress, kvType);
    return new LoadedModel(source, llama, contextLength, typeof options.backend !== 'object');
  } finally {
    source.close();
  }
}

class LoadedModel implements Model {
  readonly path: string;
  readonly config: LlamaConfig;
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string | undefined;
  private disposed = false;

  constructor(
    source: ModelSource,
    private readonly llama: Llama,
    readonly contextLength: number,
    /** Whether the backend is ours to dispose (we created it). */
    private readonly ownsBackend: boolean,
  ) {
    this.path = source.path;
    this.config = source.config;
    this.tokenizer = source.tokenizer;
    this.chatTemplate = source.chatTemplate;
  }

  get backendName(): string {
    return this.llama.backend.name;
  }

  private live(): void {
    if (this.disposed) fail('BAD_ARGUMENT', `model ${this.path} was disposed`);
  }

  generate(prompt: string | readonly number[], options: GenerateOptions = {}): AsyncGenerator<GenerationChunk, GenerationResult, undefined> {
    this.live();
    const ids = typeof prompt === 'string' ? this.tokenizer.encode(prompt, { addBos: options.addBos, parseSpecial: options.parseSpecial }) : [...prompt];
    return generate(this.llama, this.tokenizer, this.contextLength, ids, options);
  }

  forward(tokens: readonly number[], options: ForwardOptions = {}): Float32Array {
    this.live();
    if (tokens.length > this.contextLength) fail('BAD_ARGUMENT', `${tokens.length} tokens exceed the context length of ${this.contextLength}`);
    const seq = this.llama.newSequence(Math.max(1, tokens.length));
    try {
      return this.llama.forward(seq, tokens, options.allPositions === true ? 'all' : 'last');
    } finally {
      seq.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsBackend) this.llama.backend.dispose();
  }
}
