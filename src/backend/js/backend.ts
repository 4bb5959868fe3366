import { fail } from '../../errors.js';
import { dequantize, dequantizeRow } from '../../quant/index.js';
import { GGMLType, byteSizeOf, typeName } from '../../tensor/ggml-type.js';
import type { Backend, KvCache, KvType, Matrix, RopeParams } from '../backend.js';
import { floatKvCache } from '../kv-cache.js';
import { fp16ToFp32, fp32ToFp16 } from '../../quant/f16.js';
import { roundLikeVecDot, roundToF16, type ActivationRounding } from './activation-rounding.js';

/** A matrix kept as its file bytes; rows are dequantized when used, so memory stays at the file's size. */
interface JsMatrix extends Matrix {
  readonly bytes: Uint8Array;
}

export interface JsBackendOptions {
  /**
   * 'exact' (default) computes every product in f32 values with f64 sums. 'llama.cpp' rounds as llama.cpp's x86
   * CPU backend does: activations to the type its dot product pairs with each weight type (Q8_0 as its AVX code
   * rounds, Q8_K, F16), RMS norm in f32, and attention through its f16 KV cache (keys, values, queries and
   * attention weights in f16), so that our logits can be compared with llama.cpp's to float noise.
   */
  readonly activations?: ActivationRounding;
}

/**
 * The portable reference backend: plain loops, one thread, written to be obviously right rather than fast.
 * It is the oracle the WebAssembly backend is tested against.
 */
export class JsBackend implements Backend {
  readonly name = 'js';
  readonly threads = 1;
  /** f32: the exact oracle. An f16 cache keeps f16-rounded values, as llama.cpp's default cache does. */
  readonly preferredKvType: KvType = 'f32';
  private readonly activations: ActivationRounding;

  constructor(options: JsBackendOptions = {}) {
    this.activations = options.activations ?? 'exact';
  }

  alloc(length: number): Float32Array {
    return new Float32Array(length);
  }

  free(_buffer: Float32Array): void {
    // Garbage collected.
  }

  matrix(type: GGMLType, rows: number, cols: number, bytes: Uint8Array): Matrix {
    const rowBytes = byteSizeOf(type, cols);
    if (bytes.byteLength !== rowBytes * rows) {
      fail('BAD_ARGUMENT', `${typeName(type)} matrix ${rows}x${cols} needs ${rowBytes * rows} bytes, got ${bytes.byteLength}`);
    }
    // Dequantizing one row proves the type is one we can compute with before any forward pass.
    dequantize(type, bytes.subarray(0, rowBytes), cols);
    const m: JsMatrix = { type, rows, cols, bytes };
    return m;
  }

  matmul(out: Float32Array, w: Matrix, x: Float32Array, n: number): void {
    const m = w as JsMatrix;
    const { rows, cols } = m;
    const xs = roundLikeVecDot(this.activations, m.type, x, n, cols);
    const wr = new Float32Array(cols);
    for (let r = 0; r < rows; r++) {
      dequantizeRow(m.type, m.bytes, r, cols, wr);
      for (let t = 0; t < n; t++) out[t * rows + r] = dot(wr, xs, t * cols, cols);
    }
  }

  getRows(out: Float32Array, w: Matrix, ids: ArrayLike<number>): void {
    const m = w as JsMatrix;
    const row = new Float32Array(m.cols);
    for (let i = 0; i < ids.length; i++) out.set(dequantizeRow(m.type, m.bytes, ids[i]!, m.cols, row), i * m.cols);
  }

  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, n: number, dim: number, eps: number): void {
    if (this.activations === 'llama.cpp') {
      rmsNormLikeGgml(out, x, weight, n, dim, eps);
      return;
    }
    for (let t = 0; t < n; t++) {
      const off = t * dim;
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += x[off + i]! * x[off + i]!;
      const scale = 1 / Math.sqrt(ss / dim + eps);
      for (let i = 0; i < dim; i++) out[off + i] = x[off + i]! * scale * weight[i]!;
    }
  }

  rope(x: Float32Array, n: number, heads: number, headDim: number, positions: Int32Array, rope: RopeParams): void {
    const half = rope.dims / 2;
    for (let t = 0; t < n; t++) {
      const pos = positions[t]!;
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const theta = pos * rope.invFreq[i]!;
          const cos = Math.cos(theta);
          const sin = Math.sin(theta);
          // Adjacent pairs (2i, 2i+1) for GGUF llama; halves (i, i + dims/2) for NeoX-style models.
          const a = rope.neox ? base + i : base + 2 * i;
          const b = rope.neox ? a + half : a + 1;
          const x0 = x[a]!;
          const x1 = x[b]!;
          x[a] = x0 * cos - x1 * sin;
          x[b] = x0 * sin + x1 * cos;
        }
      }
    }
  }

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
  ): void {
    if (this.activations === 'llama.cpp') {
      // llama.cpp keeps K and V in f16 and multiplies f16 by f16: queries and attention weights get rounded too.
      const visible = (start + n) * kvHeads * headDim;
      q = roundToF16(q.subarray(0, n * heads * headDim));
      kCache = roundToF16(kCache.subarray(0, visible));
      vCache = roundToF16(vCache.subarray(0, visible));
    }
    const group = heads / kvHeads;
    const kvStride = kvHeads * headDim;
    const scores = new Float64Array(start + n);
    for (let t = 0; t < n; t++) {
      // Causal: the query at position start+t sees keys 0..start+t.
      const visible = start + t + 1;
      for (let h = 0; h < heads; h++) {
        const qOff = (t * heads + h) * headDim;
        const kvOff = Math.floor(h / group) * headDim;
        let max = -Infinity;
        for (let p = 0; p < visible; p++) {
          const kOff = p * kvStride + kvOff;
          let dot = 0;
          for (let i = 0; i < headDim; i++) dot += q[qOff + i]! * kCache[kOff + i]!;
          scores[p] = dot * scale;
          if (scores[p]! > max) max = scores[p]!;
        }
        let total = 0;
        for (let p = 0; p < visible; p++) {
          scores[p] = Math.exp(scores[p]! - max);
          total += scores[p]!;
        }
        if (this.activations === 'llama.cpp') for (let p = 0; p < visible; p++) scores[p] = fp16ToFp32(fp32ToFp16(scores[p]! / total)) * total;
        for (let i = 0; i < headDim; i++) {
          let acc = 0;
          for (let p = 0; p < visible; p++) acc += scores[p]! * vCache[p * kvStride + kvOff + i]!;
          out[qOff + i] = acc / total;
        }
      }
    }
  }

  kvCache(type: KvType, capacity: number, kvHeads: number, headDim: number): KvCache {
    return floatKvCache(this, type, capacity, kvHeads, headDim);
  }

  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, length: number): void {
    for (let i = 0; i < length; i++) {
      const g = gate[i]!;
      out[i] = (g / (1 + Math.exp(-g))) * up[i]!;
    }
  }

  add(x: Float32Array, y: Float32Array, length: number): void {
    for (let i = 0; i < length; i++) x[i] = x[i]! + y[i]!;
  }

  addBias(x: Float32Array, bias: Float32Array, n: number, dim: number): void {
    for (let t = 0; t < n; t++) for (let i = 0; i < dim; i++) x[t * dim + i] = x[t * dim + i]! + bias[i]!;
  }

  dispose(): void {}
}

/** Σ a[i]·b[off+i] summed in f64; four partial sums let the JIT overlap the multiplies. */
function dot(a: Float32Array, b: Float32Array, off: number, cols: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    s0 += a[c]! * b[off + c]!;
    s1 += a[c + 1]! * b[off + c + 1]!;
    s2 += a[c + 2]! * b[off + c + 2]!;
    s3 += a[c + 3]! * b[off + c + 3]!;
  }
  for (; c < cols; c++) s0 += a[c]! * b[off + c]!;
  return s0 + s1 + s2 + s3;
}

/**
 * RMS norm with ggml's roundings (ggml_compute_forward_rms_norm_f32, then the MUL by the norm weight): squares in
 * f32 summed in f64, mean, scale and both products in f32. The last bit matters: activations made from Q4_0
 * embeddings sit on exact Q8_0 rounding ties, and one ulp decides which way they go.
 */
function rmsNormLikeGgml(out: Float32Array, x: Float32Array, weight: Float32Array, n: number, dim: number, eps: number): void {
  const f32 = Math.fround;
  for (let t = 0; t < n; t++) {
    const off = t * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += f32(x[off + i]! * x[off + i]!);
    const mean = f32(sum / dim);
    const scale = f32(1 / f32(Math.sqrt(f32(mean + f32(eps)))));
    for (let i = 0; i < dim; i++) out[off + i] = f32(x[off + i]! * scale) * weight[i]!;
  }
}
