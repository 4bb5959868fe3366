import { f16x4ToF32x4 } from './f16';
import { dotX4, fma4, fnma4, highNibbles, lowNibbles, storeColumns } from './simd';

// Q4_K interleaved by 4 rows (see interleave.ts). A group's super-block (576 bytes, as the four rows' 144-byte
// super-blocks s, same size) is:
//   0..7    the rows' f16 d, row after row;
//   8..15   the rows' f16 dmin;
//   16..63  three vectors P0, P1, P2: lane 4i + r of P_k is scale byte 4k + i of row r, so that one vector
//           operation unpacks a 6-bit scale or min of every row: sub-block j < 4 has scale P0 & 63 and min
//           P1 & 63 at lane 4j + r, sub-block j >= 4 has scale (P2 & 15) | (P0 >> 6) << 4 and min
//           (P2 >> 4) | (P1 >> 6) << 4 at lane 4(j - 4) + r;
//   64..575 for each 64-value chunk c and step s (0..7), the vector at 64 + 128c + 16s holds bytes 4s..4s+3 of
//           chunk c of each row, row after row: its low nibbles are values 4s..4s+3 of sub-block 2c, its high
//           ones those of sub-block 2c + 1.
// A step's i8 dot then leaves row r's sums in i16 lanes 2r and 2r + 1, and each row ends in its own i32 lane.

export const Q4_K_X4_BLOCK = 576;

/** Where byte j (0..143) of row r's super-block goes within the group's super-block. */
export function q4kX4Offset(r: i32, j: i32): i32 {
  if (j < 4) return ((j >> 1) << 3) + 2 * r + (j & 1);
  if (j < 16) {
    const i = j - 4;
    return 16 + ((i >> 2) << 4) + ((i & 3) << 2) + r;
  }
  const q = j - 16;
  return 64 + ((q >> 5) << 7) + (((q & 31) >> 2) << 4) + 4 * r + (q & 3);
}

/** i16 pair sums (lanes 2r, 2r + 1 of row r) as f32x4 row sums. */
// @ts-ignore: decorator
@inline function sums(acc: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(acc));
}

/**
 * One 4-row group against nc (1 or 4) activation columns, as tileQ4_0 (x4-q4_0.ts). Per chunk (two
 * sub-blocks), the eight weight vectors' nibbles meet each column's activations, 8 steps into each i16
 * accumulator (a pair sum is at most 2·15·127, so 8 of them fit); then each sub-block adds
 * Σq·qa·(d·scale)·dₐ and takes off (dmin·min)·(dₐ·Σqa) (ads). Four columns go lows first, then highs, so that
 * four i16 and four f32 accumulators stay in registers. The 6-bit scales convert as signed i32 (they are
 * non-negative): V8 spends one instruction on f32x4.convert_i32x4_s, eight on the unsigned form.
 */
/**
 * Of chunk c (sub-blocks 2c, 2c + 1) of the super-block at p, whose d and dmin are given: the 4 rows' d·scale
 * of sub-block 2c (which = 0), dmin·min of 2c (1), d·scale of 2c + 1 (2) or dmin·min of 2c + 1 (3). Byte lane
 * 8(c & 1) + 4(j & 1) + r of the unpacked scales and mins holds sub-block j's of row r.
 */
// @ts-ignore: decorator
@inline function chunkScale(p: usize, c: i32, d: v128, dmin: v128, which: i32): v128 {
  const m6 = i8x16.splat(63), m4 = i8x16.splat(15), m30 = i8x16.splat(0x30);
  const min = which & 1;
  let v: v128;
  if (c < 2) {
    v = v128.and(v128.load(p + (min ? 32 : 16)), m6);
  } else if (min) {
    v = v128.or(v128.and(i16x8.shr_u(v128.load(p, 48), 4), m4), v128.and(i16x8.shr_u(v128.load(p, 32), 2), m30));
  } else {
    v = v128.or(v128.and(v128.load(p, 48), m4), v128.and(i16x8.shr_u(v128.load(p, 16), 2), m30));
  }
  const v16 = (c & 1) ? i16x8.extend_high_i8x16_u(v) : i16x8.extend_low_i8x16_u(v);
  const v32 = which < 2 ? i32x4.extend_low_i16x8_u(v16) : i32x4.extend_high_i16x8_u(v16);
  return f32x4.mul(f32x4.convert_i32x4_s(v32), min ? dmin : d);
}

/**
 * The chunk scales of a whole group for a prompt's tiles (they are the same for every column): per 32-value
 * block pair, d·scale and dmin·min of the first block, then of the second, 64 bytes at `scales` + 32·b.
 */
export function prepareQ4K(wg: usize, nb: i32, scales: usize): void {
  for (let u = 0; u < nb >> 3; u++) {
    const p = wg + <usize>u * Q4_K_X4_BLOCK;
    const d = f16x4ToF32x4(p), dmin = f16x4ToF32x4(p + 8);
    for (let c = 0; c < 4; c++) {
      const at = scales + ((<usize>((u << 3) + (c << 1))) << 5);
      v128.store(at, chunkScale(p, c, d, dmin, 0));
      v128.store(at, chunkScale(p, c, d, dmin, 1), 16);
      v128.store(at, chunkScale(p, c, d, dmin, 2), 32);
      v128.store(at, chunkScale(p, c, d, dmin, 3), 48);
    }
  }
}

/** tileQ4_0's contract; with nc = 4 the chunk scales come from prepareQ4K at `scales`. */
// @ts-ignore: decorator
@inline export function tileQ4K(wg: usize, nb: i32, aq: usize, ad: usize, ads: usize, K: usize, out: usize, os: usize, nc: i32, scales: usize): void {
  const zero = f32x4.splat(0);
  let f0 = zero, f1 = zero, f2 = zero, f3 = zero;
  // nc = 1 spreads its sums over four accumulators: shorter chains of dependent fused products.
  let g0 = zero, e0 = zero, k0 = zero;
  const sb = <usize>nb << 2;
  const nsuper = nb >> 3;
  for (let u = 0; u < nsuper; u++) {
    const p = wg + <usize>u * Q4_K_X4_BLOCK;
    let dH = zero, dminH = zero;
    if (nc == 1) {
      dH = f16x4ToF32x4(p);
      dminH = f16x4ToF32x4(p + 8);
    }
    for (let c = 0; c < 4; c++) {
      const q = p + 64 + (<usize>c << 7);
      const b = (u << 3) + (c << 1);
      const x0 = aq + (<usize>b << 5), x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
      const bo = <usize>b << 2;
      const zi = i16x8.splat(0);
      let a0 = zi, a1 = zi, a2 = zi, a3 = zi, h0 = zi, h1 = zi, h2 = zi, h3 = zi;
      if (nc == 1) {
        // Pointers advanced a step at a time, so that loads take immediate offsets (see dotX4).
        let y0 = x0, wp = q;
        for (let t = 0; t < 8; t++) {
          const r = v128.load(wp);
          a0 = dotX4(a0, lowNibbles(r), v128.load32_splat(y0));
          h0 = dotX4(h0, highNibbles(r), v128.load32_splat(y0, 32));
          y0 += 4;
          wp += 16;
        }
      } else {
        // Two steps a turn: the second's loads at immediate offsets, half the pointer updates.
        let y0 = x0, y1 = x1, y2 = x2, y3 = x3, wp = q;
        for (let t = 0; t < 8; t += 2) {
          let lo = lowNibbles(v128.load(wp));
          a0 = dotX4(a0, lo, v128.load32_splat(y0));
          a1 = dotX4(a1, lo, v128.load32_splat(y1));
          a2 = dotX4(a2, lo, v128.load32_splat(y2));
          a3 = dotX4(a3, lo, v128.load32_splat(y3));
          lo = lowNibbles(v128.load(wp, 16));
          a0 = dotX4(a0, lo, v128.load32_splat(y0, 4));
          a1 = dotX4(a1, lo, v128.load32_splat(y1, 4));
          a2 = dotX4(a2, lo, v128.load32_splat(y2, 4));
          a3 = dotX4(a3, lo, v128.load32_splat(y3, 4));
          y0 += 8; y1 += 8; y2 += 8; y3 += 8; wp += 32;
        }
      }
      const sc = scales + (<usize>b << 5);
      const sA = nc == 1 ? chunkScale(p, c, dH, dminH, 0) : v128.load(sc);
      const mA = nc == 1 ? chunkScale(p, c, dH, dminH, 1) : v128.load(sc, 16);
      f0 = fma4(f0, sums(a0), f32x4.mul(sA, v128.load32_splat(ad + bo)));
      if (nc == 1) {
        e0 = fnma4(e0, mA, v128.load32_splat(ads + bo));
      } else {
        const d1 = ad + sb + bo, d2 = d1 + sb, d3 = d2 + sb;
        const s0 = ads + bo, s1 = s0 + sb, s2 = s1 + sb, s3 = s2 + sb;
        f0 = fnma4(f0, mA, v128.load32_splat(s0));
        f1 = fnma4(fma4(f1, sums(a1), f32x4.mul(sA, v128.load32_splat(d1))), mA, v128.load32_splat(s1));
        f2 = fnma4(fma4(f2, sums(a2), f32x4.mul(sA, v128.load32_splat(d2))), mA, v128.load32_splat(s2));
        f3 = fnma4(fma4(f3, sums(a3), f32x4.mul(sA, v128.load32_splat(d3))), mA, v128.load32_splat(s3));
        let y0 = x0, y1 = x1, y2 = x2, y3 = x3, wp = q;
        for (let t = 0; t < 8; t += 2) {
          let hi = highNibbles(v128.load(wp));
          h0 = dotX4(h0, hi, v128.load32_splat(y0, 32));
          h1 = dotX4(h1, hi, v128.load32_splat(y1, 32));
          h2 = dotX4(h2, hi, v128.load32_splat(y2, 32));
          h3 = dotX4(h3, hi, v128.load32_splat(y3, 32));
          hi = highNibbles(v128.load(wp, 16));
          h0 = dotX4(h0, hi, v128.load32_splat(y0, 36));
          h1 = dotX4(h1, hi, v128.load32_splat(y1, 36));
          h2 = dotX4(h2, hi, v128.load32_splat(y2, 36));
          h3 = dotX4(h3, hi, v128.load32_splat(y3, 36));
          y0 += 8; y1 += 8; y2 += 8; y3 += 8; wp += 32;
        }
      }
      const sB = nc == 1 ? chunkScale(p, c, dH, dminH, 2) : v128.load(sc, 32);
      const mB = nc == 1 ? chunkScale(p, c, dH, dminH, 3) : v128.load(sc, 48);
      if (nc == 1) {
        g0 = fma4(g0, sums(h0), f32x4.mul(sB, v128.load32_splat(ad + bo, 4)));
        k0 = fnma4(k0, mB, v128.load32_splat(ads + bo, 4));
      } else {
        const d1 = ad + sb + bo, d2 = d1 + sb, d3 = d2 + sb;
        const s0 = ads + bo, s1 = s0 + sb, s2 = s1 + sb, s3 = s2 + sb;
        f0 = fnma4(fma4(f0, sums(h0), f32x4.mul(sB, v128.load32_splat(ad + bo, 4))), mB, v128.load32_splat(s0, 4));
        f1 = fnma4(fma4(f1, sums(h1), f32x4.mul(sB, v128.load32_splat(d1, 4))), mB, v128.load32_splat(s1, 4));
        f2 = fnma4(fma4(f2, sums(h2), f32x4.mul(sB, v128.load32_splat(d2, 4))), mB, v128.load32_splat(s2, 4));
        f3 = fnma4(fma4(f3, sums(h3), f32x4.mul(sB, v128.load32_splat(d3, 4))), mB, v128.load32_splat(s3, 4));
      }
    }
  }
  if (nc == 1) f0 = f32x4.add(f32x4.add(f0, g0), f32x4.add(e0, k0));
  storeColumns(out, os, nc, f0, f1, f2, f3);
}
