// Kernel micro-benchmark: GB/s of weight bytes streamed by one matrix-vector product (decode) per weight type,
// and GFLOP/s of the tiled matrix-matrix product (prompt), against this machine's measured read bandwidth.
import { WasmBackend } from '../src/backend/wasm/backend.js';
import { quantize } from '../src/quant/index.js';
import { GGMLType, byteSizeOf, typeName } from '../src/tensor/ggml-type.js';
import { repeat } from './stats.js';

export interface KernelRow {
  readonly type: string;
  readonly threads: number;
  readonly weightBytes: number;
  /** Weight bytes per second of a matrix-vector product, GB/s (median). */
  readonly matvecGBs: number;
  /** Tiled 64-row matrix-matrix product, GFLOP/s (median). */
  readonly matmulGflops: number;
}

export interface KernelReport {
  readonly simd: string;
  /** One thread summing a 256 MiB buffer, GB/s. */
  readonly readGBs: number;
  readonly rows: KernelRow[];
}

export const KERNEL_TYPES = [GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q8_0, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K, GGMLType.F16, GGMLType.F32];

/** Realistic blocks (scales of trained weights) from quantizing gaussian-ish values, tiled to fill the matrix. */
function weightBytes(type: GGMLType, rows: number, cols: number): Uint8Array {
  const sampleRows = 64;
  const src = new Float32Array(sampleRows * cols);
  let s = 12345;
  for (let i = 0; i < src.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    src[i] = ((s / 2 ** 32) - 0.5) * 0.1;
  }
  const sample = type === GGMLType.F32 ? new Uint8Array(src.buffer) : quantize(type, src);
  const out = new Uint8Array(byteSizeOf(type, rows * cols));
  for (let at = 0; at < out.length; at += sample.length) out.set(sample.subarray(0, Math.min(sample.length, out.length - at)), at);
  return out;
}

export async function kernelBenchmark(threadCounts: readonly number[], capMs: number, say: (s: string) => void): Promise<KernelReport> {
  const rows = 8192;
  const cols = 4096;
  const probe = new WasmBackend({ threads: 1 });
  const mib = 256 * 2 ** 20;
  const read = await repeat(() => mib / probe.timeStreamRead(mib) / 1e9, { capMs, minRuns: 3 });
  const simd = probe.simd;
  probe.dispose();
  say(`memory read bandwidth (1 thread): ${read.median.toFixed(1)} GB/s`);
  const out: KernelRow[] = [];
  for (const threads of threadCounts) {
    const b = new WasmBackend({ threads });
    for (const type of KERNEL_TYPES) {
      const bytes = weightBytes(type, rows, cols);
      const m = b.matrix(type, rows, cols, bytes);
      const x1 = b.alloc(cols).fill(0.01);
      const y1 = b.alloc(rows);
      const mv = await repeat(() => {
        const t = performance.now();
        b.matmul(y1, m, x1, 1);
        return bytes.length / ((performance.now() - t) / 1000) / 1e9;
      }, { capMs: capMs / 4, minRuns: 5 });
      const n = 64;
      const xn = b.alloc(n * cols).fill(0.01);
      const yn = b.alloc(n * rows);
      const mm = await repeat(() => {
        const t = performance.now();
        b.matmul(yn, m, xn, n);
        return (2 * rows * cols * n) / ((performance.now() - t) / 1000) / 1e9;
      }, { capMs: capMs / 4, minRuns: 2 });
      for (const v of [x1, y1, xn, yn]) b.free(v);
      say(`${typeName(type).padEnd(5)} ${threads} thread(s): matvec ${mv.median.toFixed(1)} GB/s, matmul×64 ${mm.median.toFixed(1)} GFLOP/s`);
      out.push({ type: typeName(type), threads, weightBytes: bytes.length, matvecGBs: mv.median, matmulGflops: mm.median });
    }
    b.dispose();
  }
  return { simd, readGBs: read.median, rows: out };
}
