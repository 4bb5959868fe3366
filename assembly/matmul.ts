import { X4 } from './interleave';
import { tileQ4_0 } from './x4-q4_0';
import { tileQ8_0 } from './x4-q8_0';
import { prepareQ4K, tileQ4K } from './x4-q4k';
import { tileQ6K } from './x4-q6k';
import { dotFloat, dotLegacy, dotQ2K, dotQ3K, dotQ45K, dotQ6K, dotQ8_0 } from './quant-dot';

// ggml type ids (ggml.h) of the weight formats the kernels compute with.
const F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14;

/**
 * Activation rows per pass over the weights: their quantized values (TILE × K bytes, ≤ 360 KiB for K = 5632)
 * stay in L2 while each weight row, read once per pass, stays in L1 for all of them.
 */
const TILE = 64;

/** One weight row against nr (1 or 4) activation rows starting at row t; see quant-dot.ts for the arguments. */
// @ts-ignore: decorator
@inline function rowDot(type: i32, wr: usize, K: i32, x: usize, aq: usize, ad: usize, ads: usize, t: i32, out: usize, os: usize, nr: i32): void {
  const nb = K >> 5;
  const q = aq + <usize>t * K, d = ad + ((<usize>t * nb) << 2), s = ads + ((<usize>t * nb) << 2);
  const k = <usize>K;
  switch (type) {
    case Q4_0: dotLegacy(wr, nb, q, d, s, k, out, os, nr, false, false); break;
    case Q4_1: dotLegacy(wr, nb, q, d, s, k, out, os, nr, true, false); break;
    case Q5_0: dotLegacy(wr, nb, q, d, s, k, out, os, nr, false, true); break;
    case Q5_1: dotLegacy(wr, nb, q, d, s, k, out, os, nr, true, true); break;
    case Q8_0: dotQ8_0(wr, nb, q, d, k, out, os, nr); break;
    case Q2_K: dotQ2K(wr, nb, q, d, k, out, os, nr); break;
    case Q3_K: dotQ3K(wr, nb, q, d, k, out, os, nr); break;
    case Q4_K: dotQ45K(wr, nb, q, d, s, k, out, os, nr, false); break;
    case Q5_K: dotQ45K(wr, nb, q, d, s, k, out, os, nr, true); break;
    case Q6_K: dotQ6K(wr, nb, q, d, k, out, os, nr); break;
    case F32: dotFloat(wr, K, x + ((<usize>t * K) << 2), out, os, nr, false); break;
    case F16: dotFloat(wr, K, x + ((<usize>t * K) << 2), out, os, nr, true); break;
    default: unreachable();
  }
}

/** Bytes ahead of the current weight row that decode touches: see touchAhead. */
const AHEAD = 4096;

/** Where touched bytes go, so the loads are not optimized away. */
let sink: u32 = 0;

/**
 * Loads one byte of each cache line AHEAD bytes past [wr, wr + bytes): wasm has no prefetch instruction, and
 * without these independent loads a matrix-vector product streams weights from DRAM at a fraction of the
 * bandwidth a plain read reaches (the fused kernel waits on each line it needs as it gets to it).
 */
// @ts-ignore: decorator
@inline function touchAhead(wr: usize, bytes: usize, end: usize): void {
  let s: u32 = 0;
  const last = min(wr + AHEAD + bytes, end);
  for (let p = wr + AHEAD; p < last; p += 64) s += load<u8>(p);
  sink += s;
}

/**
 * out[t × rows + r] = Σ_k W[r, k] · X[t, k] for weight rows r0 ≤ r < r1 and all n activation rows. Quantized
 * types read the activations pre-quantized (aq/ad/ads/a16, see activation.ts); F32/F16 read x. Each thread of the
 * pool calls this with its own row range and K bytes of scratch of its own. Type X4 + t is an interleaved
 * matrix of type t (interleave.ts).
 */
export function matmul(type: i32, w: usize, rowBytes: usize, rows: i32, K: i32, n: i32, x: usize, aq: usize, ad: usize, ads: usize, a16: usize, out: usize, r0: i32, r1: i32, scratch: usize): void {
  if (type >= X4) {
    matmulX4(type - X4, w, rowBytes, rows, K, n, aq, ad, ads, a16, out, r0, r1, scratch);
    return;
  }
  const os = <usize>rows << 2;
  for (let t0 = 0; t0 < n; t0 += TILE) {
    const t1 = min(n, t0 + TILE);
    for (let r = r0; r < r1; r++) {
      const wr = w + <usize>r * rowBytes;
      if (n == 1) touchAhead(wr, rowBytes, w + <usize>r1 * rowBytes);
      let t = t0;
      for (; t + 4 <= t1; t += 4) rowDot(type, wr, K, x, aq, ad, ads, t, out + ((<usize>t * rows + r) << 2), os, 4);
      for (; t < t1; t++) rowDot(type, wr, K, x, aq, ad, ads, t, out + ((<usize>t * rows + r) << 2), os, 1);
    }
  }
}

/** One 4-row group of an interleaved matrix against nc (1 or 4) activation columns (x4-*.ts). */
// @ts-ignore: decorator
@inline function tileX4(type: i32, wg: usize, nb: i32, aq: usize, ad: usize, ads: usize, a16: usize, K: usize, out: usize, os: usize, nc: i32, scratch: usize): void {
  switch (type) {
    case Q4_0: tileQ4_0(wg, nb, aq, ad, ads, K, out, os, nc); break;
    case Q8_0: tileQ8_0(wg, nb, aq, ad, K, out, os, nc); break;
    case Q4_K: tileQ4K(wg, nb, aq, ad, ads, K, out, os, nc, scratch); break;
    case Q6_K: tileQ6K(wg, nb, aq, ad, a16, K, out, os, nc); break;
    default: unreachable();
  }
}

/** matmul over an interleaved matrix (interleave.ts): r0 and r1 are multiples of 4, each group of 4 rows a tile at a time. */
function matmulX4(type: i32, w: usize, rowBytes: usize, rows: i32, K: i32, n: i32, aq: usize, ad: usize, ads: usize, a16: usize, out: usize, r0: i32, r1: i32, scratch: usize): void {
  const os = <usize>rows << 2;
  const group = rowBytes << 2;
  const nb = K >> 5;
  const k = <usize>K, sb = <usize>nb << 2;
  const end = w + <usize>(r1 >> 2) * group;
  for (let t0 = 0; t0 < n; t0 += TILE) {
    const t1 = min(n, t0 + TILE);
    for (let g = r0 >> 2; g < r1 >> 2; g++) {
      const wg = w + <usize>g * group;
      if (n == 1) touchAhead(wg, group, end);
      else if (type == Q4_K) prepareQ4K(wg, nb, scratch); // its 4-column tiles read the group's scales unpacked
      const o = out + ((<usize>g) << 4);
      let t = t0;
      for (; t + 4 <= t1; t += 4) tileX4(type, wg, nb, aq + <usize>t * k, ad + <usize>t * sb, ads + <usize>t * sb, a16 + <usize>t * sb, k, o + <usize>t * os, os, 4, scratch);
      for (; t < t1; t++) tileX4(type, wg, nb, aq + <usize>t * k, ad + <usize>t * sb, ads + <usize>t * sb, a16 + <usize>t * sb, k, o + <usize>t * os, os, 1, scratch);
    }
  }
}
