import { fail } from '../errors.js';
import type { Backend, KvCache, KvType } from '../backend/backend.js';
import type { LlamaConfig } from './config.js';

/**
 * Tokens one forward pass processes at most; longer prompts go through in slices of this many (llama.cpp's
 * n_ubatch). The matrix kernels take activations 64 rows at a time whatever the slice, so a slice larger than
 * this buys no speed (512 measured no faster on a 1.1B model) and costs activation memory: about 0.1 MiB per
 * token for TinyLlama's feed-forward width.
 */
export const MAX_BATCH = 128;
/** Positions whose logits are computed in one product with the output matrix, bounding that buffer to a few rows. */
export const LOGIT_ROWS = 32;

/**
 * Activation buffers for one slice of at most `batch` tokens. The attention block's buffers (q, k, v, att), the
 * feed-forward block's (gate, up; hidden is gate, as swiglu works in place) and the logits' (after the last layer)
 * share one region: no two of them are in use at once.
 */
export class Scratch {
  readonly positions: Int32Array;
  readonly x: Float32Array;
  readonly xb: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly att: Float32Array;
  readonly gate: Float32Array;
  readonly up: Float32Array;
  readonly hidden: Float32Array;
  readonly logitInput: Float32Array;
  readonly logits: Float32Array;
  private readonly owned: Float32Array[];

  constructor(
    private readonly backend: Backend,
    c: LlamaConfig,
    readonly batch: number,
  ) {
    const qDim = c.headCount * c.headDim;
    const kvDim = c.headCountKv * c.headDim;
    const rows = Math.min(batch, LOGIT_ROWS);
    const attention = 2 * qDim + 2 * kvDim;
    const feedForward = 2 * c.feedForwardLength;
    this.positions = new Int32Array(batch);
    this.owned = [];
    const alloc = (length: number): Float32Array => {
      const b = backend.alloc(length);
      this.owned.push(b);
      return b;
    };
    try {
      this.x = alloc(batch * c.embeddingLength);
      this.xb = alloc(batch * c.embeddingLength);
      const shared = alloc(Math.max(batch * Math.max(attention, feedForward), rows * (c.embeddingLength + c.vocabSize)));
      const carve = (from: number, width: number): Float32Array => shared.subarray(from * batch, (from + width) * batch);
      this.q = carve(0, qDim);
      this.k = carve(qDim, kvDim);
      this.v = carve(qDim + kvDim, kvDim);
      this.att = carve(qDim + 2 * kvDim, qDim);
      this.gate = carve(0, c.feedForwardLength);
      this.up = carve(c.feedForwardLength, c.feedForwardLength);
      this.hidden = this.gate;
      this.logitInput = shared.subarray(0, rows * c.embeddingLength);
      this.logits = shared.subarray(rows * c.embeddingLength, rows * (c.embeddingLength + c.vocabSize));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  dispose(): void {
    for (const b of this.owned.splice(0)) this.backend.free(b);
  }
}

/**
 * One sequence being decoded: per layer a KV cache of every position so far, and scratch sized for the slice at
 * hand. Each concurrent generation owns one.
 */
export class Sequence {
  readonly caches: KvCache[] = [];
  /** Positions filled so far; the next token goes here. */
  length = 0;
  private current: Scratch | undefined;
  private disposed = false;

  constructor(
    private readonly backend: Backend,
    private readonly config: LlamaConfig,
    /** Positions the cache holds: the most tokens this sequence can ever see. */
    readonly capacity: number,
    readonly kvType: KvType = backend.preferredKvType,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) fail('BAD_ARGUMENT', `context length must be a positive integer, got ${capacity}`);
    try {
      for (let l = 0; l < config.blockCount; l++) this.caches.push(backend.kvCache(kvType, capacity, config.headCountKv, config.headDim));
    } catch (e) {
      // An ArrayBuffer or wasm memory that cannot grow that far: say how big, and which knob makes it smaller.
      for (const c of this.caches) c.free();
      const bytes = 2 * config.blockCount * capacity * config.headCountKv * config.headDim * (kvType === 'f16' ? 2 : 4);
      const why = e instanceof Error ? e.message : String(e);
      const smaller = kvType === 'f32' ? ', an f16 cache (--kv-type f16)' : '';
      fail('BAD_ARGUMENT', `cannot allocate a KV cache for ${capacity} tokens (${Math.ceil(bytes / (1 << 20))} MiB as ${kvType}) on the ${backend.name} backend (${why}); use a smaller context (--ctx)${smaller} or fewer tokens (--n-predict)`);
    }
  }

  /** Tokens one forward pass of this sequence takes at most. */
  get maxBatch(): number {
    return Math.min(this.capacity, MAX_BATCH);
  }

  /**
   * Scratch for a slice of `n` tokens (at most maxBatch). It is sized for the slice, not for the largest one
   * possible, and a prompt's is given back at the first much smaller slice (a decoded token), so a sequence
   * holds large activation buffers only while a long prompt goes through.
   */
  scratchFor(n: number): Scratch {
    const s = this.current;
    if (s !== undefined && s.batch >= n && s.batch <= 2 * n) return s;
    s?.dispose();
    this.current = undefined;
    this.current = new Scratch(this.backend, this.config, n);
    return this.current;
  }

  /** Fails before any work when `n` more tokens would not fit. */
  reserve(n: number): void {
    if (this.disposed) fail('BAD_ARGUMENT', 'sequence was disposed');
    if (this.length + n > this.capacity) {
      fail('BAD_ARGUMENT', `${this.length + n} tokens exceed the context length of ${this.capacity}; shorten the prompt or raise the context length (--ctx)`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.caches) c.free();
    this.current?.dispose();
    this.current = undefined;
  }
}
