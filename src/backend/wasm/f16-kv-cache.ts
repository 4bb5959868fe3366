import type { KvCache } from '../backend.js';
import { checkRows } from '../kv-cache.js';
import type { WasmBackend } from './backend.js';

/**
 * A KV cache of f16 values in wasm memory: rows are rounded to f16 as they are stored. A prompt slice (n > 1)
 * widens the visible rows to f32 once and runs the f32 kernel, because the fused f16 kernel converts each row
 * once per query row (and KV head); one decoded token reads the f16 rows directly.
 */
export class WasmF16KvCache implements KvCache {
  readonly type = 'f16';
  private readonly keys: Uint16Array;
  private readonly values: Uint16Array;
  private readonly kvDim: number;

  constructor(
    private readonly backend: WasmBackend,
    readonly capacity: number,
    private readonly kvHeads: number,
    private readonly headDim: number,
  ) {
    this.kvDim = kvHeads * headDim;
    this.keys = backend.allocF16(capacity * this.kvDim);
    try {
      this.values = backend.allocF16(capacity * this.kvDim);
    } catch (e) {
      backend.freeF16(this.keys);
      throw e;
    }
  }

  store(k: Float32Array, v: Float32Array, start: number, n: number): void {
    checkRows(start, n, this.capacity);
    this.backend.storeF16(this.keys, start * this.kvDim, k, n * this.kvDim);
    this.backend.storeF16(this.values, start * this.kvDim, v, n * this.kvDim);
  }

  attend(out: Float32Array, q: Float32Array, n: number, start: number, heads: number, scale: number): void {
    checkRows(start, n, this.capacity);
    if (n === 1) {
      this.backend.attentionF16(out, q, this.keys, this.values, n, start, heads, this.kvHeads, this.headDim, scale);
      return;
    }
    const count = (start + n) * this.kvDim;
    const k = this.widen(this.keys, count);
    try {
      const v = this.widen(this.values, count);
      try {
        this.backend.attention(out, q, k, v, n, start, heads, this.kvHeads, this.headDim, scale);
      } finally {
        this.backend.free(v);
      }
    } finally {
      this.backend.free(k);
    }
  }

  /** The first `count` values of `half` as f32, in a buffer of wasm memory the caller frees. */
  private widen(half: Uint16Array, count: number): Float32Array {
    const wide = this.backend.alloc(count);
    this.backend.widenF16(wide, half, count);
    return wide;
  }

  free(): void {
    this.backend.freeF16(this.keys);
    this.backend.freeF16(this.values);
  }
}
