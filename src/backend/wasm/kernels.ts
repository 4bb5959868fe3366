import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fail } from '../../errors.js';

/** Which build of the kernels runs: relaxed SIMD (i8×i7 dot, fused multiply-add) or plain SIMD128. */
export type SimdLevel = 'relaxed' | 'simd128';

/** Bytes of the f16 → f32 table the quantized kernels read block scales through (assembly/f16.ts). */
export const HALF_TABLE_BYTES = 65536 * 4;

/** The kernel module's exports (assembly/index.ts); addresses are byte offsets into the shared memory. */
export interface KernelExports {
  heapBase(): number;
  quantizeRows(x: number, n: number, k: number, aq: number, ad: number, ads: number, a16: number): void;
  matmul(type: number, w: number, rowBytes: number, rows: number, k: number, n: number, x: number, aq: number, ad: number, ads: number, a16: number, out: number, r0: number, r1: number, scratch: number): void;
  /** Bytes of one block of a type in one row when it has an interleaved layout, else 0. */
  x4BlockBytes(type: number): number;
  interleaveRows(type: number, w: number, rows: number, rowBytes: number, tmp: number): void;
  deinterleaveRow(type: number, w: number, rowBytes: number, row: number, dst: number): void;
  q8_0HasMinus128(p: number, bytes: number): boolean;
  relaxedDotPair(a: number, b: number): number;
  rmsNorm(out: number, x: number, weight: number, n: number, dim: number, eps: number): void;
  rope(x: number, n: number, heads: number, headDim: number, pos: number, dims: number, invFreq: number, neox: number, scratch: number): void;
  swiglu(out: number, gate: number, up: number, length: number): void;
  add(x: number, y: number, length: number): void;
  addBias(x: number, bias: number, n: number, dim: number): void;
  attention(out: number, q: number, k: number, v: number, start: number, heads: number, kvHeads: number, hd: number, scale: number, half: number, n: number, scratch: number, i0: number, i1: number): void;
  attentionScratch(heads: number, kvHeads: number, hd: number, positions: number): number;
  storeF16(dst: number, src: number, count: number): void;
  widenF16(dst: number, src: number, count: number): void;
  streamRead(at: number, bytes: number): number;
  useHalfTable(at: number, fill: number): void;
}

const FILES: Record<SimdLevel, string> = { relaxed: 'kernels-relaxed.wasm', simd128: 'kernels-simd128.wasm' };

function readBuildOutput(file: string): Uint8Array {
  const url = new URL(`./${file}`, import.meta.url);
  try {
    return readFileSync(url);
  } catch {
    return fail('MISSING', `wasm kernels ${url.pathname} not built; run 'npm run build'`);
  }
}

let relaxedAvailable: boolean | undefined;

/**
 * Whether this runtime runs relaxed SIMD: validates a one-instruction module compiled with it. Node 20 has it
 * behind a V8 flag, which must be set before the first relaxed module is compiled (newer Node ships it).
 */
export function hasRelaxedSimd(): boolean {
  if (relaxedAvailable === undefined) {
    const probe = readBuildOutput('probe-relaxed.wasm');
    if (!WebAssembly.validate(probe)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedAvailable = WebAssembly.validate(probe);
  }
  return relaxedAvailable === true;
}

const compiled = new Map<SimdLevel, WebAssembly.Module>();

/** The compiled kernels for `level` (default: the best this runtime has), compiled once per process. */
export function kernelModule(level: SimdLevel = hasRelaxedSimd() ? 'relaxed' : 'simd128'): { level: SimdLevel; module: WebAssembly.Module } {
  if (level === 'relaxed' && !hasRelaxedSimd()) fail('UNSUPPORTED', 'this JavaScript runtime has no WebAssembly relaxed SIMD; use the simd128 kernels');
  let module = compiled.get(level);
  if (module === undefined) {
    module = new WebAssembly.Module(readBuildOutput(FILES[level]));
    compiled.set(level, module);
  }
  return { level, module };
}
