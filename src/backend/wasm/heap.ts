import { fail } from '../../errors.js';

const PAGE = 65536;
/** One wasm32 memory addresses at most 4 GiB. */
export const MAX_HEAP_BYTES = 2 ** 32;
const ALIGN = 64;

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** What an allocation holds, which decides the advice when the memory runs out. */
export type HeapUse = 'weights' | 'working';

interface Span {
  at: number;
  bytes: number;
}

/**
 * The one shared WebAssembly.Memory every kernel thread works in, and its allocator: first fit over a free
 * list kept in address order (neighbours merge), the memory grown at the top when nothing fits. Allocations
 * are few and large (weights, activations, KV caches), so a list walk is cheap; kernels never allocate.
 */
export class SharedHeap {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly live = new Map<number, number>();
  /** Live allocations holding model weights, and their bytes. */
  private readonly weights = new Set<number>();
  private weightBytes = 0;
  private readonly holes: Span[] = [];
  /** Every SharedArrayBuffer object this memory has handed out (a grown memory hands out a new one). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(base: number) {
    this.top = alignUp(base);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.top / PAGE) + 1, maximum: MAX_HEAP_BYTES / PAGE, shared: true });
  }

  /** The memory's current buffer (views made on it stay valid when the memory grows: shared memory never detaches). */
  get buffer(): SharedArrayBuffer {
    const b = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(b);
    return b;
  }

  /** Bytes of the memory in use, holes included: what the process holds for it. */
  get used(): number {
    return this.top;
  }

  /**
   * Reserves `bytes` (64-byte aligned) and returns their address; `what` names them and `use` says whether they
   * are weights or working memory (KV cache, activations, scratch) in the error when 4 GiB is exceeded.
   */
  allocate(bytes: number, what: string, use: HeapUse = 'working'): number {
    const size = Math.max(ALIGN, alignUp(bytes));
    const i = this.holes.findIndex((h) => h.bytes >= size);
    let at: number;
    if (i >= 0) {
      const hole = this.holes[i]!;
      at = hole.at;
      hole.at += size;
      hole.bytes -= size;
      if (hole.bytes === 0) this.holes.splice(i, 1);
    } else {
      at = this.top;
      this.extendTo(at + size, what, bytes, use);
      this.top = at + size;
    }
    this.live.set(at, size);
    if (use === 'weights') {
      this.weights.add(at);
      this.weightBytes += size;
    }
    return at;
  }

  /** Returns an allocation to the free list. */
  free(at: number): void {
    const size = this.live.get(at);
    if (size === undefined) fail('BAD_ARGUMENT', `wasm backend: free() of address ${at}, which is not an allocation (or freed twice)`);
    this.live.delete(at);
    if (this.weights.delete(at)) this.weightBytes -= size;
    let i = this.holes.findIndex((h) => h.at > at);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, { at, bytes: size });
    // Merge with the following hole, then with the preceding one.
    const next = this.holes[i + 1];
    if (next !== undefined && at + size === next.at) {
      this.holes[i]!.bytes += next.bytes;
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev !== undefined && prev.at + prev.bytes === at) {
      prev.bytes += this.holes[i]!.bytes;
      this.holes.splice(i, 1);
      i--;
    }
    const last = this.holes[this.holes.length - 1];
    if (last !== undefined && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.holes.pop();
    }
  }

  /** Whether `view` lies in this memory, so kernels can use it in place. */
  owns(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer);
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.buffer, at, length);
  }

  u8(at: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, at, length);
  }

  private extendTo(end: number, what: string, bytes: number, use: HeapUse): void {
    // Weights that do not fit need fewer bytes per weight; a KV cache that does not fit needs fewer positions.
    const advice = use === 'weights'
      ? `the model's weights (${gib(this.weightBytes + bytes)} so far) do not fit; use a smaller quantization (or --backend js)`
      : `the KV cache and activations do not fit beside the model's weights (${gib(this.weightBytes)}); lower --ctx (the KV cache grows with it) or use a smaller quantization (or --backend js)`;
    if (end > MAX_HEAP_BYTES) {
      fail('UNSUPPORTED', `wasm backend: ${what} (${gib(bytes)}) does not fit: ${gib(this.top)} already used of the 4 GiB a wasm memory can address; ${advice}`);
    }
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      fail('UNSUPPORTED', `wasm backend: cannot grow memory to ${gib(end)} for ${what} (${(e as Error).message}); ${advice}`);
    }
  }
}

/**
 * Per-call scratch (quantized activations, staged inputs, attention scores) carved from one region of the heap
 * that only ever grows: an op first reserves the total it needs, then takes its pieces.
 */
export class Scratch {
  private at = 0;
  private bytes = 0;
  private used = 0;

  constructor(private readonly heap: SharedHeap) {}

  /** Starts a call that takes at most `bytes` in all. */
  reserve(bytes: number): void {
    if (bytes > this.bytes) {
      if (this.bytes > 0) this.heap.free(this.at);
      this.bytes = alignUp(Math.max(bytes, this.bytes * 2));
      this.at = this.heap.allocate(this.bytes, 'scratch for activations');
    }
    this.used = 0;
  }

  take(bytes: number): number {
    const at = this.at + this.used;
    this.used += alignUp(bytes);
    if (this.used > this.bytes) fail('BAD_ARGUMENT', 'wasm backend: scratch overrun (reserve() too small)');
    return at;
  }
}

/** Scratch bytes for `bytes`, rounded as Scratch.take rounds them: for summing up what a call will take. */
export function scratchBytes(bytes: number): number {
  return alignUp(bytes);
}
