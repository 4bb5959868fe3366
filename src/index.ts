/** realizar's library API: load a model, generate text, compute logits. */
export { loadModel } from './model/load.js';
export type { LoadOptions, ForwardOptions, Model } from './model/load.js';
export { perplexity } from './generate/perplexity.js';
export type { PerplexityResult } from './generate/perplexity.js';
export { RealizarError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { LlamaConfig, RopeScaling } from './model/config.js';
export type { Tokenizer, EncodeOptions, StreamDecoder } from './tokenizer/tokenizer.js';
export type { Backend, KvCache, KvType } from './backend/backend.js';
export type {
  SamplingOptions,
  GenerateOptions,
  GenerationChunk,
  GenerationResult,
  FinishReason,
  TokenLogprob,
} from './generate/types.js';
