import { f16x4ToF32x4 } from './f16';
import { dotX4, fma4 } from './simd';

// Q6_K interleaved by 4 rows (see interleave.ts). A group's super-block (840 bytes, as the four rows' 210-byte
// super-blocks) is:
//   [0, 8)     the rows' four f16 d, row r at 2r;
//   [8, 72)    the int8 group scales, 8 bytes per 32-value block b: [s(2b) r0, s(2b+1) r0, s(2b) r1, ... r3], so
//              that one sign-extending load gives the i16 lanes that pair with the activations' two 16-value sums;
//   [72, 840)  two 384-byte halves h (values 128h..128h+127), each eight 48-byte steps s = [A_s, B_s, H_s]:
//              A_s = ql[64h + 4s ..+4] of rows 0..3 (4 bytes each, row after row), B_s = ql[64h + 32 + 4s ..+4],
//              H_s = qh[32h + 4s ..+4].
// With l = 4s..4s+3, block k (0..3) of the half (values 128h + 32k + l) is A_s low nibble | H_s bits 0-1 (k = 0),
// B_s low | H_s bits 2-3 (k = 1), A_s high | H_s bits 4-5 (k = 2), B_s high | H_s bits 6-7 (k = 3).

export const Q6_K_X4_BLOCK = 840;

/** Where byte j (0..209) of row r's (0..3) super-block goes within the group's 840-byte super-block. */
export function q6kX4Offset(r: i32, j: i32): i32 {
  if (j < 128) {
    const h = j >> 6, t = j & 63, l = t & 31;
    return 72 + 384 * h + 48 * (l >> 2) + ((t >> 5) << 4) + 4 * r + (l & 3);
  }
  if (j < 192) {
    const t = j - 128, h = t >> 5, l = t & 31;
    return 72 + 384 * h + 48 * (l >> 2) + 32 + 4 * r + (l & 3);
  }
  if (j < 208) {
    const g = j - 192;
    return 8 + 8 * (g >> 1) + 2 * r + (g & 1);
  }
  return 2 * r + (j - 208);
}

/** The weight vector (4 rows × 4 values, each 0..63) of block k (0..3) of a half, from the step at `q`. */
// @ts-ignore: decorator
@inline function weights(q: usize, k: i32): v128 {
  const l = v128.load(q + ((<usize>k & 1) << 4)), hb = v128.load(q + 32);
  const m4 = i8x16.splat(15), m2 = i8x16.splat(0x30);
  // x86 has no byte shifts: i16 shifts, then masks.
  const lo = k < 2 ? v128.and(l, m4) : v128.and(i16x8.shr_u(l, 4), m4);
  let hi: v128;
  if (k == 0) hi = v128.and(i16x8.shl(hb, 4), m2);
  else if (k == 1) hi = v128.and(i16x8.shl(hb, 2), m2);
  else if (k == 2) hi = v128.and(hb, m2);
  else hi = v128.and(i16x8.shr_u(hb, 2), m2);
  return v128.or(lo, hi);
}

/** acc (i32, one lane per row) += two steps (8 values per row) of one column, times the group scales `sc`. */
// @ts-ignore: decorator
@inline function pair(acc: v128, w0: v128, w1: v128, a: usize, sc: v128): v128 {
  // Each i16 lane sums 4 products of at most 63 · 127: the i32 widening with the scales comes every 2 steps.
  const t = dotX4(dotX4(i16x8.splat(0), w0, v128.load32_splat(a)), w1, v128.load32_splat(a, 4));
  return i32x4.add(acc, i32x4.dot_i16x8_s(t, sc));
}

/** i16 lanes [x0, x0, x2, x2, x4, x4, x6, x6] and [x1, x1, x3, x3, ...] of x: one group's scale for each row's two lanes. */
// @ts-ignore: decorator
@inline function evenLanes(x: v128): v128 {
  return i8x16.shuffle(x, x, 0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
}

// @ts-ignore: decorator
@inline function oddLanes(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14, 15, 14, 15);
}

/** acc += the two steps at q and q + 48 of block k against one column's 8 activations at a, times the scales sc. */
// @ts-ignore: decorator
@inline function pairK(acc: v128, q: usize, k: i32, a: usize, sc: v128): v128 {
  return pair(acc, weights(q, k), weights(q + 48, k), a, sc);
}

/** −32 · the block's two group scales, lanes [s(2b) r0, s(2b+1) r0, s(2b) r1, ...], dotted with its Σq pair at a16. */
// @ts-ignore: decorator
@inline function bias(neg: v128, a16: usize): v128 {
  return i32x4.dot_i16x8_s(neg, v128.load32_splat(a16));
}

// Register pressure decides the order (V8 issues a basic block's loads early, so a long block spills). One
// column (the decode path) takes the four blocks of a half together, a step pair per loop turn, sharing the loads
// of A, B and H (the optimizer merges the repeated ones). Four columns take a block at a time, a step pair per
// loop turn for all four (the decode, repeated per column, is merged); the switch on k makes each block's decode
// straight code without letting loads merge across blocks.

// @ts-ignore: decorator
@inline function tile1(wg: usize, nsb: i32, aq: usize, ad: usize, a16: usize, out: usize): void {
  let f = f32x4.splat(0);
  const m32 = i16x8.splat(-32);
  for (let i = 0; i < nsb; i++) {
    const p = wg + <usize>i * Q6_K_X4_BLOCK;
    let s = f32x4.splat(0);
    for (let h = 0; h < 2; h++) {
      const q = p + 72 + <usize>h * 384, sc = p + 8 + (<usize>h << 5);
      const bo = <usize>((i << 3) + (h << 2)) << 2;
      const a = aq + (bo << 3), e = a16 + bo, d = ad + bo;
      const L0 = v128.load8x8_s(sc), L1 = v128.load8x8_s(sc + 8), L2 = v128.load8x8_s(sc + 16), L3 = v128.load8x8_s(sc + 24);
      let c0 = bias(i16x8.mul(L0, m32), e), c1 = bias(i16x8.mul(L1, m32), e + 4);
      let c2 = bias(i16x8.mul(L2, m32), e + 8), c3 = bias(i16x8.mul(L3, m32), e + 12);
      const x0 = evenLanes(L0), x1 = evenLanes(L1), x2 = evenLanes(L2), x3 = evenLanes(L3);
      const y0 = oddLanes(L0), y1 = oddLanes(L1), y2 = oddLanes(L2), y3 = oddLanes(L3);
      let qs = q, as = a;
      for (let sp = 0; sp < 4; sp++) {
        // Steps 2sp, 2sp + 1 of the four blocks; group 2b for sp < 2, then 2b + 1.
        const lo = sp < 2;
        c0 = pairK(c0, qs, 0, as, lo ? x0 : y0);
        c1 = pairK(c1, qs, 1, as + 32, lo ? x1 : y1);
        c2 = pairK(c2, qs, 2, as + 64, lo ? x2 : y2);
        c3 = pairK(c3, qs, 3, as + 96, lo ? x3 : y3);
        qs += 96; as += 8;
      }
      s = fma4(s, f32x4.convert_i32x4_s(c0), v128.load32_splat(d));
      s = fma4(s, f32x4.convert_i32x4_s(c1), v128.load32_splat(d + 4));
      s = fma4(s, f32x4.convert_i32x4_s(c2), v128.load32_splat(d + 8));
      s = fma4(s, f32x4.convert_i32x4_s(c3), v128.load32_splat(d + 12));
    }
    f = fma4(f, s, f16x4ToF32x4(p));
  }
  v128.store(out, f);
}

// @ts-ignore: decorator
@inline function tile4(wg: usize, nsb: i32, aq: usize, ad: usize, a16: usize, K: usize, out: usize, os: usize, sb: usize): void {
  let f0 = f32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;
  const m32 = i16x8.splat(-32);
  for (let i = 0; i < nsb; i++) {
    const p = wg + <usize>i * Q6_K_X4_BLOCK;
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (let b = 0; b < 8; b++) {
      const q = p + 72 + <usize>(b >> 2) * 384;
      const L = v128.load8x8_s(p + 8 + (<usize>b << 3));
      const neg = i16x8.mul(L, m32), x = evenLanes(L), y = oddLanes(L);
      const bo = <usize>((i << 3) + b) << 2;
      const a0 = aq + (bo << 3), a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
      const e = a16 + bo, d = ad + bo;
      let c0 = bias(neg, e), c1 = bias(neg, e + sb), c2 = bias(neg, e + 2 * sb), c3 = bias(neg, e + 3 * sb);
      // A loop over step pairs, and a switch per pair, keep each column's loads next to their use.
      const k = b & 3;
      let qs = q, o0 = a0, o1 = a1, o2 = a2, o3 = a3;
      for (let sp = 0; sp < 4; sp++) {
        let w0: v128, w1: v128;
        switch (k) {
          case 0: w0 = weights(qs, 0); w1 = weights(qs + 48, 0); break;
          case 1: w0 = weights(qs, 1); w1 = weights(qs + 48, 1); break;
          case 2: w0 = weights(qs, 2); w1 = weights(qs + 48, 2); break;
          default: w0 = weights(qs, 3); w1 = weights(qs + 48, 3);
        }
        const sc = sp < 2 ? x : y;
        c0 = pair(c0, w0, w1, o0, sc);
        c1 = pair(c1, w0, w1, o1, sc);
        c2 = pair(c2, w0, w1, o2, sc);
        c3 = pair(c3, w0, w1, o3, sc);
        qs += 96; o0 += 8; o1 += 8; o2 += 8; o3 += 8;
      }
      s0 = fma4(s0, f32x4.convert_i32x4_s(c0), v128.load32_splat(d));
      s1 = fma4(s1, f32x4.convert_i32x4_s(c1), v128.load32_splat(d + sb));
      s2 = fma4(s2, f32x4.convert_i32x4_s(c2), v128.load32_splat(d + 2 * sb));
      s3 = fma4(s3, f32x4.convert_i32x4_s(c3), v128.load32_splat(d + 3 * sb));
    }
    const dw = f16x4ToF32x4(p);
    f0 = fma4(f0, s0, dw);
    f1 = fma4(f1, s1, dw);
    f2 = fma4(f2, s2, dw);
    f3 = fma4(f3, s3, dw);
  }
  v128.store(out, f0);
  v128.store(out + os, f1);
  v128.store(out + 2 * os, f2);
  v128.store(out + 3 * os, f3);
}

/** One 4-row group against nc (1 or 4) activation columns, as tileQ4_0 (x4-q4_0.ts); a16 as activation.ts writes it. */
// @ts-ignore: decorator
@inline export function tileQ6K(wg: usize, nb: i32, aq: usize, ad: usize, a16: usize, K: usize, out: usize, os: usize, nc: i32): void {
  if (nc == 1) tile1(wg, nb >> 3, aq, ad, a16, out);
  else tile4(wg, nb >> 3, aq, ad, a16, K, out, os, <usize>nb << 2);
}
