/** Rope frequency scaling as llama.cpp applies it for llama-family models. */
export type RopeScaling =
  | { readonly kind: 'none' }
  | { readonly kind: 'linear'; readonly factor: number }
  | {
      readonly kind: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalContextLength: number;
    };

/**
 * The hyper-parameters of a llama-family decoder, whatever file they came from
 * (GGUF metadata in gguf/hparams.ts, a Hugging Face config.json in hf/config.ts).
 */
export interface LlamaConfig {
  /** 'llama' (Llama 2/3, TinyLlama, Mistral) or 'qwen2' (q/k/v biases, NeoX rope). */
  readonly architecture: string;
  readonly name: string;
  readonly vocabSize: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  /** Per-head dimension (attention.key_length; default embeddingLength / headCount). */
  readonly headDim: number;
  readonly contextLength: number;
  readonly rmsEps: number;
  readonly ropeFreqBase: number;
  /** Leading dimensions of each head that rotate (rope.dimension_count; default headDim). */
  readonly ropeDim: number;
  readonly ropeScaling: RopeScaling;
}
