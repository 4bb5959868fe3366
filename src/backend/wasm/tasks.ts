import type { KernelExports } from './kernels.js';

/**
 * The control block every pool thread watches, in the shared memory: a job is an op code and its integer
 * arguments (addresses, sizes); the epoch counter announces a new job, `pending` counts threads still on it.
 */
export const Ctrl = { epoch: 0, pending: 1, failed: 2, op: 3, args: 4 } as const;
export const CTRL_INTS = 32;

export const enum Op {
  Exit = 0,
  Matmul = 1,
  Attention = 2,
  Swiglu = 3,
  /** The activation quantization of a Matmul (its MatmulArg slots), before the product. */
  Quantize = 4,
}

/** Argument slots of each op, after Ctrl.args. */
export const MatmulArg = { type: 0, w: 1, rowBytes: 2, rows: 3, k: 4, n: 5, x: 6, aq: 7, ad: 8, ads: 9, a16: 10, out: 11, scratch: 12 } as const;

/** Added to a type id for a matrix in the interleaved layout (assembly/interleave.ts): its rows go in groups of 4. */
export const X4 = 256;
export const SwigluArg = { out: 0, gate: 1, up: 2, length: 3 } as const;
export const AttentionArg = { out: 0, q: 1, k: 2, v: 3, start: 4, heads: 5, kvHeads: 6, hd: 7, scale: 8, half: 9, n: 10, scratch: 11, scratchStride: 12 } as const;

/** [begin, end) of `count` items for thread `tid` of `threads`: contiguous, sizes differing by at most one. */
export function share(count: number, tid: number, threads: number): [number, number] {
  const base = Math.floor(count / threads);
  const extra = count % threads;
  const begin = tid * base + Math.min(tid, extra);
  return [begin, begin + base + (tid < extra ? 1 : 0)];
}

/** Runs thread `tid`'s share of the job in the control block. Addresses travel as i32 and are read back unsigned. */
export function runShare(k: KernelExports, ctrl: Int32Array, ctrlF32: Float32Array, tid: number, threads: number): void {
  const a = (i: number): number => ctrl[Ctrl.args + i]!;
  const u = (i: number): number => ctrl[Ctrl.args + i]! >>> 0;
  switch (ctrl[Ctrl.op]) {
    case Op.Matmul: {
      const unit = a(MatmulArg.type) >= X4 ? 4 : 1;
      const [g0, g1] = share(a(MatmulArg.rows) / unit, tid, threads);
      if (g1 > g0) {
        k.matmul(a(MatmulArg.type), u(MatmulArg.w), a(MatmulArg.rowBytes), a(MatmulArg.rows), a(MatmulArg.k), a(MatmulArg.n), u(MatmulArg.x), u(MatmulArg.aq), u(MatmulArg.ad), u(MatmulArg.ads), u(MatmulArg.a16), u(MatmulArg.out), g0 * unit, g1 * unit, u(MatmulArg.scratch) + tid * a(MatmulArg.k));
      }
      return;
    }
    case Op.Quantize: {
      // Shares of whole 32-value blocks, which quantize independently and lie one after another.
      const [b0, b1] = share((a(MatmulArg.n) * a(MatmulArg.k)) / 32, tid, threads);
      if (b1 > b0) k.quantizeRows(u(MatmulArg.x) + b0 * 128, 1, (b1 - b0) * 32, u(MatmulArg.aq) + b0 * 32, u(MatmulArg.ad) + b0 * 4, u(MatmulArg.ads) + b0 * 4, u(MatmulArg.a16) + b0 * 4);
      return;
    }
    case Op.Swiglu: {
      // Shares of whole 4-value vectors, so that only the last share has a scalar tail.
      const length = a(SwigluArg.length);
      const [v0, v1] = share(Math.ceil(length / 4), tid, threads);
      const i0 = v0 * 4, i1 = Math.min(length, v1 * 4);
      if (i1 > i0) k.swiglu(u(SwigluArg.out) + i0 * 4, u(SwigluArg.gate) + i0 * 4, u(SwigluArg.up) + i0 * 4, i1 - i0);
      return;
    }
    case Op.Attention: {
      const [i0, i1] = share(a(AttentionArg.n) * a(AttentionArg.kvHeads), tid, threads);
      if (i1 > i0) {
        const scratch = u(AttentionArg.scratch) + tid * a(AttentionArg.scratchStride);
        k.attention(u(AttentionArg.out), u(AttentionArg.q), u(AttentionArg.k), u(AttentionArg.v), a(AttentionArg.start), a(AttentionArg.heads), a(AttentionArg.kvHeads), a(AttentionArg.hd), ctrlF32[Ctrl.args + AttentionArg.scale]!, a(AttentionArg.half), a(AttentionArg.n), scratch, i0, i1);
      }
      return;
    }
  }
}
