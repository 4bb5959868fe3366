import { fail } from '../errors.js';
import type { Backend } from '../backend/backend.js';
import type { LlamaConfig } from './config.js';

/** Tokens one forward pass processes at most; longer prompts go through in slices of this many (llama.cpp's n_ubatch). */
export const MAX_BATCH = 512;
/** Positions whose logits are computed in one product with the output matrix, bounding that buffer to a few rows. */
export const LOGIT_ROWS = 32;

/** Activation buffers for one slice of at most `batch` tokens, reused by every forward pass of a sequence. */
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

  constructor(
    private readonly backend: Backend,
    c: LlamaConfig,
    readonly batch: number,
  ) {
    const qDim = c.headCount * c.headDim;
    const kvDim = c.headCountKv * c.headDim;
    const rows = Math.min(batch, LOGIT_ROWS);
    this.positions = new Int32Array(batch);
    this.x = backend.alloc(batch * c.embeddingLength);
    this.xb = backend.alloc(batch * c.embeddingLength);
    this.q = backend.alloc(batch * qDim);
    this.k = backend.alloc(batch * kvDim);
    this.v = backend.alloc(batch * kvDim);
    this.att = backend.alloc(batch * qDim);
    this.gate = backend.alloc(batch * c.feedForwardLength);
    this.up = backend.alloc(batch * c.feedForwardLength);
    this.hidden = backend.alloc(batch * c.feedForwardLength);
    this.logitInput = backend.alloc(rows * c.embeddingLength);
    this.logits = backend.alloc(rows * c.vocabSize);
  }

  dispose(): void {
    for (const b of [this.x, this.xb, this.q, this.k, this.v, this.att, this.gate, this.up, this.hidden, this.logitInput, this.logits]) {
      this.backend.free(b);
    }
  }
}

/**
 * One sequence being decoded: its keys and values at every position so far (per layer, [capacity × kvDim]),
 * and its scratch. Each concurrent generation owns one.
 */
export class Sequence {
  readonly keys: Float32Array[] = [];
  readonly values: Float32Array[] = [];
  readonly scratch: Scratch;
  /** Positions filled so far; the next token goes here. */
  length = 0;
  private disposed = false;

  constructor(
    private readonly backend: Backend,
    config: LlamaConfig,
    /** Positions the cache holds: the most tokens this sequence can ever see. */
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) fail('BAD_ARGUMENT', `context length must be a positive integer, got ${capacity}`);
    const kvDim = config.headCountKv * config.headDim;
    try {
      for (let l = 0; l < config.blockCount; l++) {
        this.keys.push(backend.alloc(capacity * kvDim));
        this.values.push(backend.alloc(capacity * kvDim));
      }
    } catch (e) {
      // An ArrayBuffer or wasm memory that cannot grow that far: say how big, and which knob makes it smaller.
      for (const b of [...this.keys, ...this.values]) backend.free(b);
      const mib = Math.ceil((2 * config.blockCount * capacity * kvDim * 4) / (1 << 20));
      const why = e instanceof Error ? e.message : String(e);
      fail('BAD_ARGUMENT', `cannot allocate a KV cache for ${capacity} tokens (${mib} MiB) on the ${backend.name} backend (${why}); use a smaller context (--ctx) or fewer tokens (--n-predict)`);
    }
    this.scratch = new Scratch(backend, config, Math.min(capacity, MAX_BATCH));
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
    for (const b of [...this.keys, ...this.values]) this.backend.free(b);
    this.scratch.dispose();
  }
}
