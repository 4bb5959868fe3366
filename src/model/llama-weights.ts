import { fail } from '../errors.js';
import type { Backend, Matrix } from '../backend/backend.js';
import { dequantize, quantFormat } from '../quant/index.js';
import { byteSizeOf } from '../tensor/ggml-type.js';
import type { LlamaConfig } from './config.js';
import type { ModelSource, SourceTensor } from './source.js';

export interface LayerWeights {
  readonly attnNorm: Float32Array;
  readonly wq: Matrix;
  readonly wk: Matrix;
  readonly wv: Matrix;
  /** q/k/v biases: qwen2 has them, llama models normally not. */
  readonly bq: Float32Array | undefined;
  readonly bk: Float32Array | undefined;
  readonly bv: Float32Array | undefined;
  readonly wo: Matrix;
  readonly ffnNorm: Float32Array;
  readonly gate: Matrix;
  readonly up: Matrix;
  readonly down: Matrix;
}

export interface LlamaWeights {
  readonly tokenEmbedding: Matrix;
  readonly layers: readonly LayerWeights[];
  readonly outputNorm: Float32Array;
  /** The output projection; the token embedding itself when the model ties them (no output.weight). */
  readonly output: Matrix;
  /** Per-frequency rope divisors (rope_freqs.weight), if the file has them. */
  readonly ropeFreqFactors: Float32Array | undefined;
}

/** A tensor the decoder needs: its name and dimensions (innermost first, as GGUF), and whether it may be absent. */
interface Wanted {
  readonly name: string;
  readonly dims: readonly number[];
  readonly optional?: boolean;
}

/** Every tensor a llama-family decoder of `config` reads, with the shape it must have. */
function wantedTensors(c: LlamaConfig): Wanted[] {
  const qDim = c.headCount * c.headDim;
  const kvDim = c.headCountKv * c.headDim;
  const biasRequired = c.architecture === 'qwen2';
  const list: Wanted[] = [
    { name: 'token_embd.weight', dims: [c.embeddingLength, c.vocabSize] },
    { name: 'output_norm.weight', dims: [c.embeddingLength] },
    { name: 'output.weight', dims: [c.embeddingLength, c.vocabSize], optional: true },
    { name: 'rope_freqs.weight', dims: [c.ropeDim / 2], optional: true },
  ];
  for (let l = 0; l < c.blockCount; l++) {
    const b = `blk.${l}.`;
    list.push(
      { name: `${b}attn_norm.weight`, dims: [c.embeddingLength] },
      { name: `${b}attn_q.weight`, dims: [c.embeddingLength, qDim] },
      { name: `${b}attn_k.weight`, dims: [c.embeddingLength, kvDim] },
      { name: `${b}attn_v.weight`, dims: [c.embeddingLength, kvDim] },
      { name: `${b}attn_q.bias`, dims: [qDim], optional: !biasRequired },
      { name: `${b}attn_k.bias`, dims: [kvDim], optional: !biasRequired },
      { name: `${b}attn_v.bias`, dims: [kvDim], optional: !biasRequired },
      { name: `${b}attn_output.weight`, dims: [qDim, c.embeddingLength] },
      { name: `${b}ffn_norm.weight`, dims: [c.embeddingLength] },
      { name: `${b}ffn_gate.weight`, dims: [c.embeddingLength, c.feedForwardLength] },
      { name: `${b}ffn_up.weight`, dims: [c.embeddingLength, c.feedForwardLength] },
      { name: `${b}ffn_down.weight`, dims: [c.feedForwardLength, c.embeddingLength] },
    );
  }
  return list;
}

/** Checks that every tensor is present with its shape before anything is read, so a bad file fails fast. */
function findTensors(source: ModelSource): Map<string, SourceTensor> {
  const found = new Map<string, SourceTensor>();
  for (const w of wantedTensors(source.config)) {
    const t = source.tensor(w.name);
    if (t === undefined) {
      if (w.optional === true) continue;
      fail('MISSING', `${source.path}: tensor '${w.name}' is missing; the file is not a complete ${source.config.architecture} model`);
    }
    const same = t.dims.length === w.dims.length && t.dims.every((d, i) => d === w.dims[i]);
    if (!same) {
      fail('BAD_FILE', `${source.path}: tensor '${w.name}' has shape [${t.dims.join(', ')}], expected [${w.dims.join(', ')}] from the model's hyper-parameters`);
    }
    // Fails now, naming the tensor, for a type we cannot compute with.
    quantFormat(t.type, w.name);
    found.set(w.name, t);
  }
  return found;
}

/** Progress of a load, in bytes of tensor data. */
export type LoadProgress = (loadedBytes: number, totalBytes: number) => void;

/** Reads a model's weights onto a backend: matrices in their file type, vectors as f32. */
export function loadLlamaWeights(source: ModelSource, backend: Backend, onProgress?: LoadProgress): LlamaWeights {
  const tensors = findTensors(source);
  const bytesOf = (t: SourceTensor): number => byteSizeOf(t.type, t.dims.reduce((a, b) => a * b, 1));
  let total = 0;
  for (const t of tensors.values()) total += bytesOf(t);
  let loaded = 0;
  const progress = (t: SourceTensor): void => {
    loaded += bytesOf(t);
    onProgress?.(loaded, total);
  };

  const matrix = (name: string): Matrix => {
    const t = tensors.get(name)!;
    const rows = t.dims[1]!;
    const cols = t.dims[0]!;
    // t.readInto is called as a method: a source may implement it with `this`.
    const m = backend.matrixInPlace !== undefined && t.readInto !== undefined
      ? backend.matrixInPlace(t.type, rows, cols, (bytes) => t.readInto!(bytes))
      : backend.matrix(t.type, rows, cols, t.read());
    progress(t);
    return m;
  };
  const vector = (name: string): Float32Array | undefined => {
    const t = tensors.get(name);
    if (t === undefined) return undefined;
    const v = dequantize(t.type, t.read(), t.dims[0]!, undefined, name);
    progress(t);
    return v;
  };
  const required = (name: string): Float32Array => vector(name)!;

  const layers: LayerWeights[] = [];
  for (let l = 0; l < source.config.blockCount; l++) {
    const b = `blk.${l}.`;
    layers.push({
      attnNorm: required(`${b}attn_norm.weight`),
      wq: matrix(`${b}attn_q.weight`),
      wk: matrix(`${b}attn_k.weight`),
      wv: matrix(`${b}attn_v.weight`),
      bq: vector(`${b}attn_q.bias`),
      bk: vector(`${b}attn_k.bias`),
      bv: vector(`${b}attn_v.bias`),
      wo: matrix(`${b}attn_output.weight`),
      ffnNorm: required(`${b}ffn_norm.weight`),
      gate: matrix(`${b}ffn_gate.weight`),
      up: matrix(`${b}ffn_up.weight`),
      down: matrix(`${b}ffn_down.weight`),
    });
  }
  const tokenEmbedding = matrix('token_embd.weight');
  const output = tensors.has('output.weight') ? matrix('output.weight') : tokenEmbedding;
  return {
    tokenEmbedding,
    layers,
    outputNorm: required('output_norm.weight'),
    output,
    ropeFreqFactors: vector('rope_freqs.weight'),
  };
}
