import { f16x4ToF32x4 } from './f16';
import { dotX4, fma4, fnma4, highNibbles, lowNibbles, storeColumns } from './simd';

// Q4_0 interleaved by 4 rows (see interleave.ts). A group's block b (72 bytes, as the four rows' blocks b) is
// the rows' four f16 scales, then four vectors R_s (s = 0..3), R_s = bytes 4s..4s+3 of each row's 16 nibble
// bytes, row after row: the low nibbles of R_s are values 4s..4s+3 of each row, the high ones 16+4s..16+4s+3.

export const Q4_0_X4_BLOCK = 72;

/** dotX4 of the low nibbles against the activations at `a` and of the high ones against those 16 bytes on. */
// @ts-ignore: decorator
@inline function pairX4(acc: v128, lo: v128, hi: v128, a: usize): v128 {
  return dotX4(dotX4(acc, lo, v128.load32_splat(a)), hi, v128.load32_splat(a, 16));
}

/**
 * One 4-row group at wg against nc (1 or 4) activation columns (aq/ad/ads: the first column's, K bytes apart,
 * see activation.ts): f32x4 of the 4 rows' sums to out + c·os for column c.
 */
// @ts-ignore: decorator
@inline export function tileQ4_0(wg: usize, nb: i32, aq: usize, ad: usize, ads: usize, K: usize, out: usize, os: usize, nc: i32): void {
  let f0 = f32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;
  const sb = <usize>nb << 2;
  for (let b = 0; b < nb; b++) {
    const p = wg + <usize>b * Q4_0_X4_BLOCK;
    const dw = f16x4ToF32x4(p);
    const qa = aq + (<usize>b << 5);
    let c0 = i16x8.splat(0), c1 = c0, c2 = c0, c3 = c0;
    if (nc == 1) {
      // Unrolled: V8 keeps a loop's interrupt check and address arithmetic, a large share of decode's work.
      const r0 = v128.load(p, 8), r1 = v128.load(p, 24), r2 = v128.load(p, 40), r3 = v128.load(p, 56);
      c0 = dotX4(dotX4(c0, lowNibbles(r0), v128.load32_splat(qa)), highNibbles(r0), v128.load32_splat(qa, 16));
      c0 = dotX4(dotX4(c0, lowNibbles(r1), v128.load32_splat(qa, 4)), highNibbles(r1), v128.load32_splat(qa, 20));
      c0 = dotX4(dotX4(c0, lowNibbles(r2), v128.load32_splat(qa, 8)), highNibbles(r2), v128.load32_splat(qa, 24));
      c0 = dotX4(dotX4(c0, lowNibbles(r3), v128.load32_splat(qa, 12)), highNibbles(r3), v128.load32_splat(qa, 28));
    } else {
      // One pointer per column, advanced by 4 bytes a step: the high nibbles' activations are at a fixed 16
      // bytes further, an immediate offset instead of an address computed per load.
      let q0 = qa, q1 = qa + K, q2 = q1 + K, q3 = q2 + K, wp = p + 8;
      for (let s = 0; s < 4; s++) {
        const r = v128.load(wp);
        const lo = lowNibbles(r), hi = highNibbles(r);
        c0 = pairX4(c0, lo, hi, q0);
        c1 = pairX4(c1, lo, hi, q1);
        c2 = pairX4(c2, lo, hi, q2);
        c3 = pairX4(c3, lo, hi, q3);
        q0 += 4; q1 += 4; q2 += 4; q3 += 4; wp += 16;
      }
    }
    // value = d·(q − 8): Σ d·q·dₐ·qₐ less 8·d·(dₐ·Σqₐ), the last from ads.
    const dw8 = f32x4.mul(dw, f32x4.splat(8));
    const bo = <usize>b << 2;
    f0 = fnma4(fma4(f0, f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(c0)), f32x4.mul(dw, v128.load32_splat(ad + bo))), dw8, v128.load32_splat(ads + bo));
    if (nc > 1) {
      f1 = fnma4(fma4(f1, f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(c1)), f32x4.mul(dw, v128.load32_splat(ad + sb + bo))), dw8, v128.load32_splat(ads + sb + bo));
      f2 = fnma4(fma4(f2, f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(c2)), f32x4.mul(dw, v128.load32_splat(ad + 2 * sb + bo))), dw8, v128.load32_splat(ads + 2 * sb + bo));
      f3 = fnma4(fma4(f3, f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(c3)), f32x4.mul(dw, v128.load32_splat(ad + 3 * sb + bo))), dw8, v128.load32_splat(ads + 3 * sb + bo));
    }
  }
  storeColumns(out, os, nc, f0, f1, f2, f3);
}
