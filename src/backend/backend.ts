import type { GGMLType } from '../tensor/ggml-type.js';

/**
 * A weight matrix handed to a backend: `rows` output features, each a row of `cols` input features,
 * stored in ggml's block layout of `type` (row-major, rows contiguous). The backend keeps the bytes
 * wherever it computes best (a JS Uint8Array, wasm memory shared with workers, a GPU buffer).
 */
export interface Matrix {
  readonly type: GGMLType;
  readonly rows: number;
  readonly cols: number;
}

/** Rotary embedding parameters, resolved from the model's metadata once. */
export interface RopeParams {
  /** Number of leading dimensions of each head that rotate (rope.dimension_count). */
  readonly dims: number;
  /** Inverse frequencies, dims/2 of them, with rope scaling (linear, llama3) already applied. */
  readonly invFreq: Float32Array;
  /** NeoX/rotate-half pairing (i, i+dims/2) instead of adjacent pairs (2i, 2i+1). */
  readonly neox: boolean;
}

/** How a KV cache holds keys and values: f32, or f16 at half the memory (llama.cpp's default). */
export type KvType = 'f32' | 'f16';

/**
 * One layer's keys and values for `capacity` positions of kvHeads × headDim values each, kept where and as the
 * backend attends over them best. An f16 cache rounds what it stores to f16; attention reads those values.
 */
export interface KvCache {
  readonly type: KvType;
  readonly capacity: number;
  /** Stores n rows of keys and of values ([n × kvHeads × headDim] each) at positions start..start+n-1. */
  store(k: Float32Array, v: Float32Array, start: number, n: number): void;
  /** Backend.attention of n query rows at positions start..start+n-1 over this cache's first start+n positions. */
  attend(out: Float32Array, q: Float32Array, n: number, start: number, heads: number, scale: number): void;
  /** Returns the cache's memory; it must not be used afterwards. */
  free(): void;
}

/**
 * The kernels a transformer needs. Activations are f32 buffers obtained from `alloc` (so that a wasm
 * backend can hand out views of its own memory and never copy); every call is synchronous and
 * writes only its `out` argument. Shapes are row-major: `n` rows (tokens) of `dim` values.
 */
export interface Backend {
  readonly name: string;
  /** Threads this backend computes with (1 for the JS reference). */
  readonly threads: number;
  /** The KV cache type models use on this backend unless told otherwise. */
  readonly preferredKvType: KvType;

  /** A zeroed f32 buffer of `length` values that this backend's kernels accept. */
  alloc(length: number): Float32Array;
  /** Returns a buffer from `alloc` (KV caches and scratch of finished sequences); it must not be used afterwards. */
  free(buffer: Float32Array): void;
  /** Takes a matrix's raw ggml bytes (rows × cols of `type`); throws UNSUPPORTED for a type it cannot compute with. */
  matrix(type: GGMLType, rows: number, cols: number, bytes: Uint8Array): Matrix;
  /**
   * Optional: a matrix whose raw ggml bytes `fill` writes into `bytes` (the backend's own memory), so that
   * weights go from the file to where the kernels read them without a copy in between.
   */
  matrixInPlace?(type: GGMLType, rows: number, cols: number, fill: (bytes: Uint8Array) => void): Matrix;

  /** out[n × w.rows] = x[n × w.cols] · wᵀ */
  matmul(out: Float32Array, w: Matrix, x: Float32Array, n: number): void;
  /** out[i × w.cols ..] = dequantized row ids[i] of w (embedding lookup). */
  getRows(out: Float32Array, w: Matrix, ids: ArrayLike<number>): void;
  /** out = x / rms(x) * weight, per row of `dim`. */
  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, n: number, dim: number, eps: number): void;
  /** Rotates each of the `heads` heads of each of the n rows in place, row i at position positions[i]. */
  rope(x: Float32Array, n: number, heads: number, headDim: number, positions: Int32Array, rope: RopeParams): void;
  /**
   * Causal attention of n query rows (at positions start..start+n-1) over the cache's first start+n rows.
   * q: [n × heads × headDim]; kCache/vCache: [ctx × kvHeads × headDim]; out: [n × heads × headDim].
   * Query head h reads KV head floor(h / (heads / kvHeads)) (grouped-query attention).
   */
  attention(
    out: Float32Array,
    q: Float32Array,
    kCache: Float32Array,
    vCache: Float32Array,
    n: number,
    start: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    scale: number,
  ): void;
  /** An empty KV cache for one layer; throws (BAD_ARGUMENT naming the size) when memory cannot hold it. */
  kvCache(type: KvType, capacity: number, kvHeads: number, headDim: number): KvCache;
  /** out = silu(gate) * up, elementwise over `length` values; out may be gate. */
  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, length: number): void;
  /** x += y, elementwise over `length` values. */
  add(x: Float32Array, y: Float32Array, length: number): void;
  /** Adds `bias` (length dim) to each of the n rows of x. */
  addBias(x: Float32Array, bias: Float32Array, n: number, dim: number): void;

  /** Frees workers and memory; the backend is unusable afterwards. */
  dispose(): void;
}
