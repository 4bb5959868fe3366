import { f16x4ToF32x4 } from './f16';
import { fma4, storeColumns } from './simd';

// Q8_0 interleaved by 4 rows (see interleave.ts). A group's block b (136 bytes, as the four rows' blocks b) is the
// rows' four f16 scales, then eight vectors V_s (s = 0..7), V_s = values 4s..4s+3 of each row, row after row.
// The relaxed i8×i7 dot wants weights within 0..127: each step takes |w| and moves the signs onto the
// activations, as dotSignMoved in simd.ts. |−128| wraps to the byte 0x80, which x86's unsigned×signed multiply
// reads as 128, exactly; a runtime that multiplies it as −128 (see relaxedDotPair) leaves a matrix holding
// −128 in the row layout.

export const Q8_0_X4_BLOCK = 136;

/** acc (i32x4, one lane per row) += Σ of 4 products per row: |w| against the activation's 4 bytes splatted in `x`, signs moved. */
// @ts-ignore: decorator
@inline function step(acc: v128, aw: v128, neg: v128, x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const p = i16x8.relaxed_dot_i8x16_i7x16_s(i8x16.sub(v128.xor(x, neg), neg), aw);
    return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(p));
  }
  unreachable();
  return acc;
}

/** One 4-row group against nc (1 or 4) activation columns, as tileQ4_0 (x4-q4_0.ts). */
// @ts-ignore: decorator
@inline export function tileQ8_0(wg: usize, nb: i32, aq: usize, ad: usize, K: usize, out: usize, os: usize, nc: i32): void {
  let f0 = f32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;
  const sb = <usize>nb << 2;
  const zero = i32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const p = wg + <usize>b * Q8_0_X4_BLOCK;
    const dw = f16x4ToF32x4(p);
    const qa = aq + (<usize>b << 5);
    let c0 = zero, c1 = zero, c2 = zero, c3 = zero;
    if (nc == 1) {
      // Unrolled, as Q4_0's (x4-q4_0.ts), with two accumulators to halve the chain of dependent adds.
      // Pointers advanced by the step, so that loads take immediate offsets (see dotX4 in simd.ts).
      let e0 = zero, y0 = qa, wp = p;
      for (let s = 0; s < 8; s += 2) {
        const w0 = v128.load(wp, 8), w1 = v128.load(wp, 24);
        c0 = step(c0, i8x16.abs(w0), i8x16.lt_s(w0, zero), v128.load32_splat(y0));
        e0 = step(e0, i8x16.abs(w1), i8x16.lt_s(w1, zero), v128.load32_splat(y0, 4));
        y0 += 8;
        wp += 32;
      }
      c0 = i32x4.add(c0, e0);
    } else {
      let y0 = qa, y1 = qa + K, y2 = y1 + K, y3 = y2 + K, wp = p;
      for (let s = 0; s < 8; s++) {
        const w = v128.load(wp, 8);
        const aw = i8x16.abs(w), neg = i8x16.lt_s(w, zero);
        c0 = step(c0, aw, neg, v128.load32_splat(y0));
        c1 = step(c1, aw, neg, v128.load32_splat(y1));
        c2 = step(c2, aw, neg, v128.load32_splat(y2));
        c3 = step(c3, aw, neg, v128.load32_splat(y3));
        y0 += 4; y1 += 4; y2 += 4; y3 += 4; wp += 16;
      }
    }
    const bo = <usize>b << 2;
    f0 = fma4(f0, f32x4.convert_i32x4_s(c0), f32x4.mul(dw, v128.load32_splat(ad + bo)));
    if (nc > 1) {
      f1 = fma4(f1, f32x4.convert_i32x4_s(c1), f32x4.mul(dw, v128.load32_splat(ad + sb + bo)));
      f2 = fma4(f2, f32x4.convert_i32x4_s(c2), f32x4.mul(dw, v128.load32_splat(ad + 2 * sb + bo)));
      f3 = fma4(f3, f32x4.convert_i32x4_s(c3), f32x4.mul(dw, v128.load32_splat(ad + 3 * sb + bo)));
    }
  }
  storeColumns(out, os, nc, f0, f1, f2, f3);
}

/**
 * Lane 0 of the relaxed i16 dot of bytes a and b splatted: the host asks whether (1, −128) gives 256, i.e. the
 * runtime reads the second operand as unsigned (x86). The bytes come as arguments so that the compiler, which
 * folds relaxed operations its own way, cannot answer in its place. 0 in the SIMD128 build.
 */
export function relaxedDotPair(a: i32, b: i32): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.extract_lane_s(i16x8.relaxed_dot_i8x16_i7x16_s(i8x16.splat(<i8>a), i8x16.splat(<i8>b)), 0);
  return 0;
}

/** Whether any of the `bytes` of Q8_0 blocks at `p` holds −128 among its values (the f16 scales are skipped). */
export function q8_0HasMinus128(p: usize, bytes: usize): bool {
  for (let at: usize = 0; at < bytes; at += 34) {
    const m = v128.or(i8x16.eq(v128.load(p + at, 2), i8x16.splat(-128)), i8x16.eq(v128.load(p + at, 18), i8x16.splat(-128)));
    if (v128.any_true(m)) return true;
  }
  return false;
}
