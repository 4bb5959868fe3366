import { availableParallelism } from 'node:os';
import { fail } from '../../errors.js';
import { dequantizeRow } from '../../quant/index.js';
import { GGMLType, byteSizeOf, typeName } from '../../tensor/ggml-type.js';
import type { Backend, KvCache, KvType, Matrix, RopeParams } from '../backend.js';
import { floatKvCache } from '../kv-cache.js';
import { WasmF16KvCache } from './f16-kv-cache.js';
import { SharedHeap, Scratch, scratchBytes } from './heap.js';
import { HALF_TABLE_BYTES, kernelModule, type KernelExports, type SimdLevel } from './kernels.js';
import { WorkerPool } from './pool.js';
import { AttentionArg, MatmulArg, Op, SwigluArg, X4 } from './tasks.js';

export interface WasmBackendOptions {
  /** Threads computing each matrix product, the caller's included; default: the machine's cores. */
  readonly threads?: number;
  /** Kernel build; default relaxed SIMD where the runtime has it, else SIMD128. */
  readonly simd?: SimdLevel;
}

/** A matrix copied into the shared memory. */
interface WasmMatrix extends Matrix {
  readonly at: number;
  readonly rowBytes: number;
  /** The type id the kernels take: X4 + type once the rows are interleaved (assembly/interleave.ts). */
  kernelType: number;
}

/** Weight types with a fused kernel; the quantized ones meet int8 activations. */
const QUANTIZED = new Set([GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q8_0, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K]);
const FLOAT = new Set([GGMLType.F32, GGMLType.F16]);

/** Below this many multiply-adds a product runs on the calling thread alone: waking the pool would cost more. */
const PARALLEL_MIN_WORK = 1 << 16;

/**
 * The fast CPU backend: WebAssembly SIMD kernels (assembly/) on a pool of worker threads that share one
 * WebAssembly.Memory holding the weights, the activations and the KV caches. Buffers from `alloc` are views of
 * that memory; buffers from elsewhere are staged into scratch for the call (correct, only slower).
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly threads: number;
  readonly simd: SimdLevel;
  /** f16, as llama.cpp: half the memory of f32, and attention streams half the bytes. */
  readonly preferredKvType: KvType = 'f16';
  private readonly heap: SharedHeap;
  private readonly scratch: Scratch;
  private readonly kernels: KernelExports;
  private readonly pool: WorkerPool;
  private readonly matrices = new WeakSet<Matrix>();
  /** Whether the relaxed dot reads |−128| (0x80) as 128, so Q8_0 matrices holding −128 interleave too (assembly/x4-q8_0.ts). */
  private readonly minus128Exact: boolean;

  constructor(options: WasmBackendOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) fail('BAD_ARGUMENT', `wasm backend: threads must be an integer from 1 to 256, got ${threads}`);
    this.threads = threads;
    const { level, module } = kernelModule(options.simd);
    this.simd = level;
    // The kernels' own static data ends at heapBase; a throwaway instance over a private memory tells where.
    const probe = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) } });
    this.heap = new SharedHeap((probe.exports as unknown as KernelExports).heapBase());
    this.kernels = new WebAssembly.Instance(module, { env: { memory: this.heap.memory } }).exports as unknown as KernelExports;
    this.scratch = new Scratch(this.heap);
    const halfTableAt = this.heap.allocate(HALF_TABLE_BYTES, 'the f16 conversion table');
    this.kernels.useHalfTable(halfTableAt, 1);
    this.minus128Exact = this.kernels.relaxedDotPair(1, -128) === 256;
    this.pool = new WorkerPool(this.kernels, module, this.heap, threads, halfTableAt);
  }

  /**
   * Seconds one thread takes to read `bytes` of this memory (summing them with SIMD loads): the benchmark's
   * yardstick for how close a matrix-vector product gets to memory bandwidth.
   */
  timeStreamRead(bytes: number): number {
    const at = this.heap.allocate(bytes, 'the read-bandwidth probe');
    try {
      this.heap.u8(at, bytes).fill(1);
      const t = performance.now();
      this.kernels.streamRead(at, bytes - (bytes % 64));
      return (performance.now() - t) / 1000;
    } finally {
      this.heap.free(at);
    }
  }

  /** Bytes of wasm memory in use (weights, activations, caches, scratch). */
  get memoryBytes(): number {
    return this.heap.used;
  }

  alloc(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) fail('BAD_ARGUMENT', `wasm backend: alloc(${length}) needs a non-negative integer length`);
    const at = this.heap.allocate(length * 4, `a buffer of ${length} floats`);
    const view = this.heap.f32(at, length);
    view.fill(0); // a reused hole holds old values
    return view;
  }

  free(buffer: Float32Array): void {
    if (!this.heap.owns(buffer)) fail('BAD_ARGUMENT', 'wasm backend: free() of a buffer that alloc() did not return');
    this.heap.free(buffer.byteOffset);
  }

  matrix(type: GGMLType, rows: number, cols: number, bytes: Uint8Array): Matrix {
    return this.matrixInPlace(type, rows, cols, (target) => {
      if (bytes.byteLength !== target.byteLength) {
        fail('BAD_ARGUMENT', `${typeName(type)} matrix ${rows}x${cols} needs ${target.byteLength} bytes, got ${bytes.byteLength}`);
      }
      target.set(bytes);
    });
  }

  /**
   * A matrix whose bytes `fill` writes in place (a view of wasm memory), so that weights go from the file
   * straight to where the kernels read them, never through a JS copy: `file.readTensor(info, bytes)`.
   */
  matrixInPlace(type: GGMLType, rows: number, cols: number, fill: (bytes: Uint8Array) => void): Matrix {
    const m = this.emptyMatrix(type, rows, cols);
    try {
      fill(this.heap.u8(m.at, m.rowBytes * rows));
    } catch (e) {
      this.heap.free(m.at);
      throw e;
    }
    this.interleave(m);
    return m;
  }

  /** Returns a matrix's memory; it must not be used afterwards. */
  freeMatrix(w: Matrix): void {
    const m = this.own(w);
    this.matrices.delete(m);
    this.heap.free(m.at);
  }

  /**
   * Rewrites a matrix into the interleaved layout where the relaxed kernels have one for its type (about twice
   * their row kernels' speed): rows in groups of 4, and for Q8_0, no value of −128 unless the runtime's relaxed
   * dot multiplies it exactly (see assembly/x4-q8_0.ts).
   */
  private interleave(m: WasmMatrix): void {
    const block = this.kernels.x4BlockBytes(m.type);
    if (this.simd !== 'relaxed' || block === 0 || m.rows % 4 !== 0) return;
    const bytes = m.rowBytes * m.rows;
    if (m.type === GGMLType.Q8_0 && !this.minus128Exact && this.kernels.q8_0HasMinus128(m.at, bytes)) return;
    this.scratch.reserve(scratchBytes(4 * m.rowBytes + 32 * block));
    this.kernels.interleaveRows(m.type, m.at, m.rows, m.rowBytes, this.scratch.take(4 * m.rowBytes + 32 * block));
    m.kernelType = X4 + m.type;
  }

  private emptyMatrix(type: GGMLType, rows: number, cols: number): WasmMatrix {
    if (!QUANTIZED.has(type) && !FLOAT.has(type)) {
      fail('UNSUPPORTED', `wasm backend has no kernel for ${typeName(type)} matrices; use F16, F32, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K or Q6_K (or --backend js)`);
    }
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) fail('BAD_ARGUMENT', `wasm backend: matrix shape ${rows}x${cols} is not positive integers`);
    const rowBytes = byteSizeOf(type, cols);
    const at = this.heap.allocate(rowBytes * rows, `${typeName(type)} matrix ${rows}x${cols}`, 'weights');
    const m: WasmMatrix = { type, rows, cols, at, rowBytes, kernelType: type };
    this.matrices.add(m);
    return m;
  }

  matmul(out: Float32Array, w: Matrix, x: Float32Array, n: number): void {
    const m = this.own(w);
    checkCount(n, 'matmul rows');
    if (n === 0) return;
    const { rows, cols, type } = m;
    const quantized = QUANTIZED.has(type);
    const count = n * cols;
    this.scratch.reserve(
      this.stagedBytes(x, count) + this.stagedBytes(out, n * rows) + (quantized ? scratchBytes(count) + 3 * scratchBytes(count / 8) : 0) +
        scratchBytes(cols * this.threads),
    );
    const xAt = this.input(x, count, 'matmul input');
    const o = this.output(out, n * rows, 'matmul output');
    const a = this.pool.args;
    a[MatmulArg.type] = m.kernelType;
    a[MatmulArg.w] = m.at;
    a[MatmulArg.rowBytes] = m.rowBytes;
    a[MatmulArg.rows] = rows;
    a[MatmulArg.k] = cols;
    a[MatmulArg.n] = n;
    a[MatmulArg.x] = xAt;
    a[MatmulArg.out] = o.at;
    a[MatmulArg.scratch] = this.scratch.take(cols * this.threads); // K bytes per thread (assembly/matmul.ts)
    if (quantized) {
      a[MatmulArg.aq] = this.scratch.take(count);
      a[MatmulArg.ad] = this.scratch.take(count / 8);
      a[MatmulArg.ads] = this.scratch.take(count / 8);
      a[MatmulArg.a16] = this.scratch.take(count / 8);
      this.pool.run(Op.Quantize, count >= PARALLEL_MIN_WORK);
    }
    this.pool.run(Op.Matmul, n * rows * cols >= PARALLEL_MIN_WORK);
    o.finish();
  }

  getRows(out: Float32Array, w: Matrix, ids: ArrayLike<number>): void {
    const m = this.own(w);
    if (out.length < ids.length * m.cols) fail('BAD_ARGUMENT', `wasm backend: getRows output holds ${out.length} values, needs ${ids.length * m.cols}`);
    const row = (i: number): Float32Array<ArrayBuffer> => out.subarray(i * m.cols, (i + 1) * m.cols) as Float32Array<ArrayBuffer>;
    if (m.kernelType === m.type) {
      const bytes = this.heap.u8(m.at, m.rowBytes * m.rows);
      for (let i = 0; i < ids.length; i++) dequantizeRow(m.type, bytes, ids[i]!, m.cols, row(i));
      return;
    }
    this.scratch.reserve(scratchBytes(m.rowBytes));
    const at = this.scratch.take(m.rowBytes);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= m.rows) fail('BAD_ARGUMENT', `wasm backend: getRows row ${id} outside the matrix's ${m.rows} rows`);
      this.kernels.deinterleaveRow(m.type, m.at, m.rowBytes, id, at);
      dequantizeRow(m.type, this.heap.u8(at, m.rowBytes), 0, m.cols, row(i));
    }
  }

  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, n: number, dim: number, eps: number): void {
    checkCount(n, 'rmsNorm rows');
    checkCount(dim, 'rmsNorm dim');
    this.scratch.reserve(this.stagedBytes(x, n * dim) + this.stagedBytes(weight, dim) + this.stagedBytes(out, n * dim));
    const xAt = this.input(x, n * dim, 'rmsNorm input');
    const wAt = this.input(weight, dim, 'rmsNorm weight');
    const o = this.output(out, n * dim, 'rmsNorm output');
    this.kernels.rmsNorm(o.at, xAt, wAt, n, dim, eps);
    o.finish();
  }

  rope(x: Float32Array, n: number, heads: number, headDim: number, positions: Int32Array, rope: RopeParams): void {
    checkCount(n, 'rope rows');
    const half = rope.dims >> 1;
    if (rope.dims > headDim || rope.dims % 2 !== 0 || rope.invFreq.length < half) {
      fail('BAD_ARGUMENT', `wasm backend: rope over ${rope.dims} dims with ${rope.invFreq.length} frequencies does not fit heads of ${headDim}`);
    }
    const count = n * heads * headDim;
    this.scratch.reserve(this.stagedBytes(x, count) + 2 * scratchBytes(n * 4) + scratchBytes(half * 4) + scratchBytes(half * 8));
    const io = this.output(x, count, 'rope input', true);
    const pAt = this.input(positions, n, 'rope positions');
    const fAt = this.input(rope.invFreq, half, 'rope frequencies');
    this.kernels.rope(io.at, n, heads, headDim, pAt, rope.dims, fAt, rope.neox ? 1 : 0, this.scratch.take(half * 8));
    io.finish();
  }

  attention(out: Float32Array, q: Float32Array, kCache: Float32Array, vCache: Float32Array, n: number, start: number, heads: number, kvHeads: number, headDim: number, scale: number): void {
    this.attend(out, q, kCache, vCache, n, start, heads, kvHeads, headDim, scale, false);
  }

  kvCache(type: KvType, capacity: number, kvHeads: number, headDim: number): KvCache {
    return type === 'f16' ? new WasmF16KvCache(this, capacity, kvHeads, headDim) : floatKvCache(this, type, capacity, kvHeads, headDim);
  }

  /** A zeroed f16 buffer (e.g. a KV cache at half the memory) for `attentionF16`; release it with `freeF16`. */
  allocF16(length: number): Uint16Array {
    checkCount(length, 'allocF16 length');
    const at = this.heap.allocate(length * 2, `an f16 buffer of ${length} values`);
    const view = new Uint16Array(this.heap.buffer, at, length);
    view.fill(0);
    return view;
  }

  freeF16(buffer: Uint16Array): void {
    if (!this.heap.owns(buffer)) fail('BAD_ARGUMENT', 'wasm backend: freeF16() of a buffer that allocF16() did not return');
    this.heap.free(buffer.byteOffset);
  }

  /** Rounds `src` (`count` values) to f16 into `dst` at value offset `at`: appending rows to an f16 KV cache. */
  storeF16(dst: Uint16Array, at: number, src: Float32Array, count: number): void {
    if (!this.heap.owns(dst) || at < 0 || at + count > dst.length) fail('BAD_ARGUMENT', `wasm backend: storeF16 of ${count} values at ${at} outside its ${dst.length}-value allocF16 buffer`);
    this.scratch.reserve(this.stagedBytes(src, count));
    this.kernels.storeF16(dst.byteOffset + at * 2, this.input(src, count, 'storeF16 input'), count);
  }

  /** The first `count` values of `src` (from allocF16) as f32 into `dst` (from alloc). */
  widenF16(dst: Float32Array, src: Uint16Array, count: number): void {
    if (!this.heap.owns(dst) || !this.heap.owns(src) || count > dst.length || count > src.length) fail('BAD_ARGUMENT', `wasm backend: widenF16 of ${count} values needs buffers from alloc() and allocF16() that hold them`);
    this.kernels.widenF16(dst.byteOffset, src.byteOffset, count);
  }

  /** attention() over an f16 KV cache from allocF16. */
  attentionF16(out: Float32Array, q: Float32Array, kCache: Uint16Array, vCache: Uint16Array, n: number, start: number, heads: number, kvHeads: number, headDim: number, scale: number): void {
    if (!this.heap.owns(kCache) || !this.heap.owns(vCache)) fail('BAD_ARGUMENT', 'wasm backend: attentionF16 needs caches from allocF16()');
    this.attend(out, q, kCache, vCache, n, start, heads, kvHeads, headDim, scale, true);
  }

  private attend(out: Float32Array, q: Float32Array, k: Float32Array | Uint16Array, v: Float32Array | Uint16Array, n: number, start: number, heads: number, kvHeads: number, hd: number, scale: number, half: boolean): void {
    checkCount(n, 'attention rows');
    checkCount(start, 'attention start');
    if (n === 0) return;
    if (kvHeads < 1 || heads % kvHeads !== 0) fail('BAD_ARGUMENT', `wasm backend: ${heads} query heads do not group over ${kvHeads} KV heads`);
    if (hd % 4 !== 0) fail('UNSUPPORTED', `wasm backend: attention needs a head size that is a multiple of 4, got ${hd}`);
    const qCount = n * heads * hd;
    const kvCount = (start + n) * kvHeads * hd;
    if (k.length < kvCount || v.length < kvCount) fail('BAD_ARGUMENT', `wasm backend: KV cache of ${Math.min(k.length, v.length)} values holds fewer than the ${start + n} positions attended (${kvCount} values)`);
    const scratchStride = scratchBytes(this.kernels.attentionScratch(heads, kvHeads, hd, start + n));
    const kvStaged = half ? 0 : this.stagedBytes(k, kvCount) + this.stagedBytes(v as Float32Array, kvCount);
    this.scratch.reserve(this.stagedBytes(q, qCount) + this.stagedBytes(out, qCount) + kvStaged + scratchStride * this.threads);
    const a = this.pool.args;
    a[AttentionArg.q] = this.input(q, qCount, 'attention queries');
    a[AttentionArg.k] = half ? k.byteOffset : this.input(k as Float32Array, kvCount, 'K cache');
    a[AttentionArg.v] = half ? v.byteOffset : this.input(v as Float32Array, kvCount, 'V cache');
    const o = this.output(out, qCount, 'attention output');
    a[AttentionArg.out] = o.at;
    a[AttentionArg.start] = start;
    a[AttentionArg.heads] = heads;
    a[AttentionArg.kvHeads] = kvHeads;
    a[AttentionArg.hd] = hd;
    this.pool.argsF32[AttentionArg.scale] = scale;
    a[AttentionArg.half] = half ? 1 : 0;
    a[AttentionArg.n] = n;
    a[AttentionArg.scratchStride] = scratchStride;
    a[AttentionArg.scratch] = this.scratch.take(scratchStride * this.threads);
    this.pool.run(Op.Attention, n * heads * (start + n) * hd >= PARALLEL_MIN_WORK);
    o.finish();
  }

  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, length: number): void {
    checkCount(length, 'swiglu length');
    this.scratch.reserve(this.stagedBytes(gate, length) + this.stagedBytes(up, length) + this.stagedBytes(out, length));
    const g = this.input(gate, length, 'swiglu gate');
    const u = this.input(up, length, 'swiglu up');
    const o = this.output(out, length, 'swiglu output');
    const a = this.pool.args;
    a[SwigluArg.out] = o.at;
    a[SwigluArg.gate] = g;
    a[SwigluArg.up] = u;
    a[SwigluArg.length] = length;
    this.pool.run(Op.Swiglu, length >= PARALLEL_MIN_WORK);
    o.finish();
  }

  add(x: Float32Array, y: Float32Array, length: number): void {
    checkCount(length, 'add length');
    this.scratch.reserve(this.stagedBytes(x, length) + this.stagedBytes(y, length));
    const io = this.output(x, length, 'add target', true);
    this.kernels.add(io.at, this.input(y, length, 'add operand'), length);
    io.finish();
  }

  addBias(x: Float32Array, bias: Float32Array, n: number, dim: number): void {
    checkCount(n, 'addBias rows');
    checkCount(dim, 'addBias dim');
    this.scratch.reserve(this.stagedBytes(x, n * dim) + this.stagedBytes(bias, dim));
    const io = this.output(x, n * dim, 'addBias target', true);
    this.kernels.addBias(io.at, this.input(bias, dim, 'bias'), n, dim);
    io.finish();
  }

  dispose(): void {
    this.pool.dispose();
  }

  private own(w: Matrix): WasmMatrix {
    if (!this.matrices.has(w)) fail('BAD_ARGUMENT', 'wasm backend: a matrix from another backend was passed; create it with this backend\'s matrix()');
    return w as WasmMatrix;
  }

  /** Scratch a buffer takes when it is not in our memory. */
  private stagedBytes(view: ArrayBufferView, count: number): number {
    return this.heap.owns(view) ? 0 : scratchBytes(count * 4);
  }

  /** The address of the first `count` values of `view`, copied into scratch when it is not in our memory. */
  private input(view: Float32Array | Int32Array, count: number, what: string): number {
    if (view.length < count) fail('BAD_ARGUMENT', `wasm backend: ${what} holds ${view.length} values, needs ${count}`);
    if (this.heap.owns(view)) return view.byteOffset;
    const at = this.scratch.take(count * 4);
    const staged = view instanceof Int32Array ? new Int32Array(this.heap.buffer, at, count) : this.heap.f32(at, count);
    staged.set(view.subarray(0, count));
    return at;
  }

  /** Where a kernel writes `count` values meant for `view`; finish() copies them back when staged. `inOut` stages the current values too. */
  private output(view: Float32Array, count: number, what: string, inOut = false): { at: number; finish(): void } {
    if (view.length < count) fail('BAD_ARGUMENT', `wasm backend: ${what} holds ${view.length} values, needs ${count}`);
    if (this.heap.owns(view)) return { at: view.byteOffset, finish: () => {} };
    const at = this.scratch.take(count * 4);
    const staged = this.heap.f32(at, count);
    if (inOut) staged.set(view.subarray(0, count));
    return { at, finish: () => view.set(staged) };
  }
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) fail('BAD_ARGUMENT', `wasm backend: ${what} must be a non-negative integer, got ${n}`);
}
