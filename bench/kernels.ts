// Kernel micro-benchmark: GB/s of weight bytes streamed by one matrix-vector product (decode) per weight type,
// and GFLOP/s of the tiled matrix-matrix product (prompt), against this machine's measured read bandwidth.
// The matrix-vector products and the read probe stream 1 GiB, more than this host's last-level cache holds, so
// they measure main memory as a model's decode meets it; the tiled product runs on a matrix that stays in cache.
import { WasmBackend } from '../src/backend/wasm/backend.js';
import { quantize } from '../src/quant/index.js';
import { GGMLType, byteSizeOf, typeName } from '../src/tensor/ggml-type.js';
import { repeat } from './stats.js';

export interface KernelRow {
  readonly type: string;
  readonly threads: number;
  /** Bytes of the matrix-vector product's matrix. */
  readonly weightBytes: number;
  /** Weight bytes per second of a matrix-vector product, GB/s (median). */
  readonly matvecGBs: number;
  /** Tiled 64-row matrix-matrix product, GFLOP/s (median). */
  readonly matmulGflops: number;
}

export interface KernelReport {
  readonly simd: string;
  /** One thread summing a 1 GiB buffer, GB/s. */
  readonly readGBs: number;
  /** Bytes each matrix-vector product streams. */
  readonly streamBytes: number;
  readonly rows: KernelRow[];
}

export const KERNEL_TYPES = [GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q8_0, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K, GGMLType.F16, GGMLType.F32];

const COLS = 4096;
const STREAM_BYTES = 2 ** 30;

/** Realistic blocks (scales of trained weights) from quantizing gaussian-ish values: 64 rows, tiled to fill a matrix. */
function sampleRows(type: GGMLType): Uint8Array {
  const src = new Float32Array(64 * COLS);
  let s = 12345;
  for (let i = 0; i < src.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    src[i] = ((s / 2 ** 32) - 0.5) * 0.1;
  }
  return type === GGMLType.F32 ? new Uint8Array(src.buffer) : quantize(type, src);
}

function tiled(b: WasmBackend, type: GGMLType, rows: number, sample: Uint8Array) {
  return b.matrixInPlace(type, rows, COLS, (bytes) => {
    for (let at = 0; at < bytes.length; at += sample.length) bytes.set(sample.subarray(0, Math.min(sample.length, bytes.length - at)), at);
  });
}

export async function kernelBenchmark(threadCounts: readonly number[], capMs: number, say: (s: string) => void): Promise<KernelReport> {
  const probe = new WasmBackend({ threads: 1 });
  const read = await repeat(() => STREAM_BYTES / probe.timeStreamRead(STREAM_BYTES) / 1e9, { capMs, minRuns: 3 });
  const simd = probe.simd;
  probe.dispose();
  say(`memory read bandwidth (1 thread, ${STREAM_BYTES / 2 ** 30} GiB): ${read.median.toFixed(1)} GB/s`);
  const out: KernelRow[] = [];
  for (const threads of threadCounts) {
    const b = new WasmBackend({ threads });
    for (const type of KERNEL_TYPES) {
      const sample = sampleRows(type);
      const rowBytes = byteSizeOf(type, COLS);
      const big = tiled(b, type, 64 * Math.floor(STREAM_BYTES / (64 * rowBytes)), sample);
      const bigBytes = big.rows * rowBytes;
      const x1 = b.alloc(COLS).fill(0.01);
      const y1 = b.alloc(big.rows);
      const mv = await repeat(() => {
        const t = performance.now();
        b.matmul(y1, big, x1, 1);
        return bigBytes / ((performance.now() - t) / 1000) / 1e9;
      }, { capMs: capMs / 4, minRuns: 3 });
      b.freeMatrix(big);
      const rows = 8192;
      const small = tiled(b, type, rows, sample);
      const n = 64;
      const xn = b.alloc(n * COLS).fill(0.01);
      const yn = b.alloc(n * rows);
      const mm = await repeat(() => {
        const t = performance.now();
        b.matmul(yn, small, xn, n);
        return (2 * rows * COLS * n) / ((performance.now() - t) / 1000) / 1e9;
      }, { capMs: capMs / 4, minRuns: 2 });
      b.freeMatrix(small);
      for (const v of [x1, y1, xn, yn]) b.free(v);
      say(`${typeName(type).padEnd(5)} ${threads} thread(s): matvec ${mv.median.toFixed(1)} GB/s, matmul×64 ${mm.median.toFixed(1)} GFLOP/s`);
      out.push({ type: typeName(type), threads, weightBytes: bigBytes, matvecGBs: mv.median, matmulGflops: mm.median });
    }
    b.dispose();
  }
  return { simd, readGBs: read.median, streamBytes: STREAM_BYTES, rows: out };
}
