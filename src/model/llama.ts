import { fail } from '../errors.js';
import type { Backend, KvType, RopeParams } from '../backend/backend.js';
import type { LlamaConfig } from './config.js';
import { loadLlamaWeights, type LlamaWeights, type LoadProgress } from './llama-weights.js';
import type { ModelSource } from './source.js';
import { ropeParams } from './rope.js';
import { LOGIT_ROWS, Sequence, type Scratch } from './sequence.js';

export const SUPPORTED_ARCHITECTURES: readonly string[] = ['llama', 'qwen2'];

/** Which positions of a forward pass produce logits. */
export type LogitsWanted = 'last' | 'all';

/**
 * The llama-family decoder (Llama 2/3, TinyLlama, Mistral, Qwen2): for each token,
 *   x = embed(token)
 *   per layer:  x += Wo · attention(rope(Wq·rms(x)), rope(Wk·rms(x)), Wv·rms(x))
 *               x += Wdown · (silu(Wgate·rms(x)) ⊙ Wup·rms(x))
 *   logits = Wout · rms(x)
 * A prompt of many tokens and a single decoded token take the same path: n rows at positions start..start+n-1,
 * attention masked causally. Every kernel runs on the backend.
 */
export class Llama {
  readonly rope: RopeParams;

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    readonly backend: Backend,
    /** How sequences' KV caches hold keys and values. */
    readonly kvType: KvType = backend.preferredKvType,
  ) {
    Llama.checkConfig(config, config.name);
    this.rope = ropeParams(config, weights.ropeFreqFactors);
  }

  /** Rejects hyper-parameters this decoder cannot run, before any weight is read. */
  static checkConfig(config: LlamaConfig, where: string): void {
    if (!SUPPORTED_ARCHITECTURES.includes(config.architecture)) {
      fail('UNSUPPORTED', `${where}: architecture '${config.architecture}' is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
    }
    if (config.headCount % config.headCountKv !== 0) {
      fail('BAD_FILE', `${where}: head_count ${config.headCount} is not a multiple of head_count_kv ${config.headCountKv}`);
    }
    if (config.ropeDim % 2 !== 0 || config.ropeDim > config.headDim) {
      fail('BAD_FILE', `${where}: rope dimension count ${config.ropeDim} must be even and at most the head size ${config.headDim}`);
    }
  }

  /** Checks the source's hyper-parameters and tensor shapes, then reads its weights onto the backend. */
  static load(source: ModelSource, backend: Backend, onProgress?: LoadProgress, kvType?: KvType): Llama {
    Llama.checkConfig(source.config, source.path);
    return new Llama(source.config, loadLlamaWeights(source, backend, onProgress), backend, kvType);
  }

  /** A fresh sequence holding up to `capacity` positions. */
  newSequence(capacity: number): Sequence {
    return new Sequence(this.backend, this.config, capacity, this.kvType);
  }

  /**
   * Appends `tokens` to the sequence and returns their logits: [vocab] for the last token, or
   * [tokens × vocab] for all of them.
   */
  forward(seq: Sequence, tokens: readonly number[], wanted: LogitsWanted = 'last'): Float32Array {
    const n = tokens.length;
    if (n === 0) fail('BAD_ARGUMENT', 'forward needs at least one token');
    seq.reserve(n);
    for (let i = 0; i < n; i++) {
      const id = tokens[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) {
        fail('BAD_ARGUMENT', `token id ${id} at index ${i} is outside the vocabulary (0..${this.config.vocabSize - 1})`);
      }
    }
    const vocab = this.config.vocabSize;
    const result = new Float32Array(wanted === 'all' ? n * vocab : vocab);
    const batch = seq.maxBatch;
    for (let from = 0; from < n; from += batch) {
      const slice = tokens.slice(from, from + batch);
      const s = seq.scratchFor(slice.length);
      this.evaluate(seq, s, slice);
      if (wanted === 'all') this.logits(s, 0, slice.length, result.subarray(from * vocab));
      else if (from + slice.length === n) this.logits(s, slice.length - 1, slice.length, result);
    }
    return result;
  }

  /** Runs one slice of tokens through every layer, leaving the final hidden states in scratch.x. */
  private evaluate(seq: Sequence, s: Scratch, tokens: readonly number[]): void {
    const n = tokens.length;
    const start = seq.length;
    for (let i = 0; i < n; i++) s.positions[i] = start + i;
    this.backend.getRows(s.x, this.weights.tokenEmbedding, tokens);
    for (let l = 0; l < this.config.blockCount; l++) {
      this.attentionBlock(seq, s, l, n, start);
      this.feedForwardBlock(s, l, n);
    }
    seq.length = start + n;
  }

  private attentionBlock(seq: Sequence, s: Scratch, l: number, n: number, start: number): void {
    const { backend: b, config: c } = this;
    const w = this.weights.layers[l]!;
    const dim = c.embeddingLength;
    const kvDim = c.headCountKv * c.headDim;

    b.rmsNorm(s.xb, s.x, w.attnNorm, n, dim, c.rmsEps);
    b.matmul(s.q, w.wq, s.xb, n);
    b.matmul(s.k, w.wk, s.xb, n);
    b.matmul(s.v, w.wv, s.xb, n);
    if (w.bq !== undefined) b.addBias(s.q, w.bq, n, c.headCount * c.headDim);
    if (w.bk !== undefined) b.addBias(s.k, w.bk, n, kvDim);
    if (w.bv !== undefined) b.addBias(s.v, w.bv, n, kvDim);
    b.rope(s.q, n, c.headCount, c.headDim, s.positions, this.rope);
    b.rope(s.k, n, c.headCountKv, c.headDim, s.positions, this.rope);

    const cache = seq.caches[l]!;
    cache.store(s.k, s.v, start, n);
    cache.attend(s.att, s.q, n, start, c.headCount, 1 / Math.sqrt(c.headDim));

    b.matmul(s.xb, w.wo, s.att, n);
    b.add(s.x, s.xb, n * dim);
  }

  private feedForwardBlock(s: Scratch, l: number, n: number): void {
    const { backend: b, config: c } = this;
    const w = this.weights.layers[l]!;
    const dim = c.embeddingLength;

    b.rmsNorm(s.xb, s.x, w.ffnNorm, n, dim, c.rmsEps);
    b.matmul(s.gate, w.gate, s.xb, n);
    b.matmul(s.up, w.up, s.xb, n);
    b.swiglu(s.hidden, s.gate, s.up, n * c.feedForwardLength);
    b.matmul(s.xb, w.down, s.hidden, n);
    b.add(s.x, s.xb, n * dim);
  }

  /** Logits of slice rows [from, to) into `out`, LOGIT_ROWS rows per product with the output matrix. */
  private logits(s: Scratch, from: number, to: number, out: Float32Array): void {
    const { backend: b, config: c } = this;
    const dim = c.embeddingLength;
    const vocab = c.vocabSize;
    b.rmsNorm(s.xb, s.x, this.weights.outputNorm, to, dim, c.rmsEps);
    for (let r = from; r < to; r += LOGIT_ROWS) {
      const rows = Math.min(LOGIT_ROWS, to - r);
      s.logitInput.set(s.xb.subarray(r * dim, (r + rows) * dim));
      b.matmul(s.logits, this.weights.output, s.logitInput, rows);
      out.set(s.logits.subarray(0, rows * vocab), (r - from) * vocab);
    }
  }
}
