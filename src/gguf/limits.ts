/**
 * Limits that keep a hostile or corrupt header from costing unbounded time or memory. Each is far above
 * anything a real model uses (the largest vocabularies have ~260k tokens and ~500k merges, a model a few
 * thousand tensors), so a file that exceeds one is refused rather than trusted.
 */
export const GGUF_LIMITS = {
  /** ggml's GGML_MAX_DIMS. */
  maxDims: 4,
  /** ggml's GGML_MAX_NAME: llama.cpp refuses longer tensor names, so we neither read nor write them. */
  maxTensorNameBytes: 63,
  maxTensors: 1 << 20,
  maxStringBytes: 64 << 20,
  /** Total items over every metadata array of one file (JS holds each as a value of 8+ bytes). */
  maxArrayItems: 1 << 25,
  /** Arrays of arrays: llama.cpp allows none, gguf-py any; a small bound keeps recursion shallow. */
  maxArrayDepth: 8,
} as const;
