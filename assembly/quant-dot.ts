import { f16ToF32, f16x4ToF32x4, halfAt, halfTable } from './f16';
import { dot32Small, dotI8, dotSignMoved, fma4, hsum, pairsU6Biased, pairsU7 } from './simd';

// Fused dequantize + dot products of one weight row (ggml block layout) with `nr` activation rows (1 or 4; the
// kernels are inlined with a constant nr, so each becomes a separate straight-line loop). With nr = 4 a weight
// block is unpacked once and used four times: the tiled prompt path. Quantized rows meet int8 activations
// (activation.ts): per 32 values, an integer dot scaled by weight scale × activation scale.
//
// Arguments shared by every kernel: w = the row's first block, nb = 32-value blocks per row, aq/ad/ads = the
// first activation row's quantized values / scales / scaled sums, K = values per activation row, out = where
// row 0's result goes, os = bytes between consecutive rows' results.

const ZERO = i32x4.splat(0);

/** Stores the lane sums of a0 (and for nr = 4 activation rows, of a1..a3, each os bytes on). */
// @ts-ignore: decorator
@inline function storeSums(out: usize, os: usize, nr: i32, a0: v128, a1: v128, a2: v128, a3: v128): void {
  store<f32>(out, hsum(a0));
  if (nr > 1) {
    store<f32>(out + os, hsum(a1));
    store<f32>(out + 2 * os, hsum(a2));
    store<f32>(out + 3 * os, hsum(a3));
  }
}

// @ts-ignore: decorator
@inline function block32(acc: v128, w0: v128, w1: v128, scale: f32, qa: usize): v128 {
  const isum = dot32Small(w0, w1, v128.load(qa), v128.load(qa, 16));
  return fma4(acc, f32x4.convert_i32x4_s(isum), f32x4.splat(scale));
}

// @ts-ignore: decorator
@inline function block32Signed(acc: v128, w0: v128, w1: v128, scale: f32, qa: usize): v128 {
  const isum = dotI8(dotI8(ZERO, w0, v128.load(qa)), w1, v128.load(qa, 16));
  return fma4(acc, f32x4.convert_i32x4_s(isum), f32x4.splat(scale));
}

/**
 * A block scale: through the f16 table for one activation row (decode), where the conversion is a large part
 * of the work per byte; computed for a tile, where the table's cache lines would evict the activations.
 */
// @ts-ignore: decorator
@inline function scaleAt(tab: usize, p: usize, nr: i32): f32 {
  return nr > 1 ? f16ToF32(load<u16>(p)) : halfAt(tab, p);
}

/** The per-lane high bit (bit j of the 32-bit qh for lane j) of Q5_0/Q5_1, as 0 or 16 in each i8 lane. */
// @ts-ignore: decorator
@inline function q5HighBits(qh: u32, upper: bool): v128 {
  const h = i32x4.splat(qh);
  const bytes = upper
    ? i8x16.swizzle(h, i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3))
    : i8x16.swizzle(h, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const bit = v128.and(bytes, i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128));
  return v128.and(i8x16.ne(bit, ZERO), i8x16.splat(16));
}

/**
 * The legacy 32-value blocks, after an f16 scale d: Q4_0 (18 bytes: 16 bytes of nibbles; value = d·(q − 8)),
 * Q4_1 (20 bytes: f16 min m, nibbles; d·q + m), Q5_0 (22 bytes: u32 qh of 5th bits, nibbles; d·(q − 16)) and
 * Q5_1 (24 bytes: m, qh, nibbles; d·q + m). Low nibbles are values 0..15, high nibbles 16..31. The offset or min
 * term multiplies each activation block's scaled sum (ads): Σ (d·q + c)·a = d·Σq·a + c·Σa.
 */
// @ts-ignore: decorator
@inline export function dotLegacy(w: usize, nb: i32, aq: usize, ad: usize, ads: usize, K: usize, out: usize, os: usize, nr: i32, hasMin: bool, five: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  let o0: f32 = 0, o1: f32 = 0, o2: f32 = 0, o3: f32 = 0;
  const sb = <usize>nb << 2;
  const m4 = i8x16.splat(15);
  const qhAt: usize = hasMin ? 4 : 2, rawAt: usize = (hasMin ? 4 : 2) + (five ? 4 : 0);
  const blockBytes = rawAt + 16;
  // Without a min the offset is −8 (or −16 with the 5th bit) times d: o sums d·ads, scaled once at the end.
  const offset: f32 = hasMin ? 1 : five ? -16 : -8;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * blockBytes;
    const d = scaleAt(tab, p, nr);
    const c = hasMin ? scaleAt(tab, p + 2, nr) : d;
    const raw = v128.load(p + rawAt);
    let lo = v128.and(raw, m4), hi = i8x16.shr_u(raw, 4);
    if (five) {
      const qh = load<u32>(p + qhAt);
      lo = v128.or(lo, q5HighBits(qh, false));
      hi = v128.or(hi, q5HighBits(qh, true));
    }
    const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2), sa = ads + (<usize>b << 2);
    a0 = block32(a0, lo, hi, d * load<f32>(da), qa);
    o0 += c * load<f32>(sa);
    if (nr > 1) {
      a1 = block32(a1, lo, hi, d * load<f32>(da + sb), qa + K);
      a2 = block32(a2, lo, hi, d * load<f32>(da + 2 * sb), qa + 2 * K);
      a3 = block32(a3, lo, hi, d * load<f32>(da + 3 * sb), qa + 3 * K);
      o1 += c * load<f32>(sa + sb);
      o2 += c * load<f32>(sa + 2 * sb);
      o3 += c * load<f32>(sa + 3 * sb);
    }
  }
  store<f32>(out, hsum(a0) + offset * o0);
  if (nr > 1) {
    store<f32>(out + os, hsum(a1) + offset * o1);
    store<f32>(out + 2 * os, hsum(a2) + offset * o2);
    store<f32>(out + 3 * os, hsum(a3) + offset * o3);
  }
}

// @ts-ignore: decorator
@inline function block32Moved(acc: v128, aw0: v128, aw1: v128, neg0: v128, neg1: v128, scale: f32, qa: usize): v128 {
  const isum = dotSignMoved(ZERO, aw0, aw1, neg0, neg1, v128.load(qa), v128.load(qa, 16));
  return fma4(acc, f32x4.convert_i32x4_s(isum), f32x4.splat(scale));
}

/**
 * Q8_0: 34 bytes = f16 d, 32 signed bytes; value = d·q. The relaxed build takes |q| and the signs apart once per
 * block for every activation row (dotSignMoved); a block holding -128, which has no |q| within 0..127, and the
 * SIMD128 build take the exact i16 product path.
 */
// @ts-ignore: decorator
@inline export function dotQ8_0(w: usize, nb: i32, aq: usize, ad: usize, K: usize, out: usize, os: usize, nr: i32): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  const sb = <usize>nb << 2;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * 34;
    const d = scaleAt(tab, p, nr);
    const lo = v128.load(p, 2), hi = v128.load(p, 18);
    const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2);
    const aw0 = i8x16.abs(lo), aw1 = i8x16.abs(hi);
    // |−128| wraps to −128: the only lane whose abs has its top bit set.
    if (ASC_FEATURE_RELAXED_SIMD && i8x16.bitmask(v128.or(aw0, aw1)) == 0) {
      const n0 = i8x16.lt_s(lo, ZERO), n1 = i8x16.lt_s(hi, ZERO);
      a0 = block32Moved(a0, aw0, aw1, n0, n1, d * load<f32>(da), qa);
      if (nr > 1) {
        a1 = block32Moved(a1, aw0, aw1, n0, n1, d * load<f32>(da + sb), qa + K);
        a2 = block32Moved(a2, aw0, aw1, n0, n1, d * load<f32>(da + 2 * sb), qa + 2 * K);
        a3 = block32Moved(a3, aw0, aw1, n0, n1, d * load<f32>(da + 3 * sb), qa + 3 * K);
      }
      continue;
    }
    a0 = block32Signed(a0, lo, hi, d * load<f32>(da), qa);
    if (nr > 1) {
      a1 = block32Signed(a1, lo, hi, d * load<f32>(da + sb), qa + K);
      a2 = block32Signed(a2, lo, hi, d * load<f32>(da + 2 * sb), qa + 2 * K);
      a3 = block32Signed(a3, lo, hi, d * load<f32>(da + 3 * sb), qa + 3 * K);
    }
  }
  storeSums(out, os, nr, a0, a1, a2, a3);
}

/** 6-bit scale of sub-block j of a Q4_K/Q5_K super-block (12 packed bytes at `s`). */
// @ts-ignore: decorator
@inline function kScale(s: usize, j: i32): f32 {
  if (j < 4) return <f32>(load<u8>(s + j) & 63);
  return <f32>((load<u8>(s + j + 4) & 0xf) | ((load<u8>(s + j - 4) >> 6) << 4));
}

/** 6-bit min of sub-block j of a Q4_K/Q5_K super-block. */
// @ts-ignore: decorator
@inline function kMin(s: usize, j: i32): f32 {
  if (j < 4) return <f32>(load<u8>(s + j + 4) & 63);
  return <f32>((load<u8>(s + j + 4) >> 4) | ((load<u8>(s + j) >> 6) << 4));
}

/**
 * Q4_K (144 bytes per 256 values: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles) and
 * Q5_K (176 bytes: the same plus 32 bytes of 5th bits before the nibbles). Value in sub-block j (32 values):
 * d·scale_j·q − dmin·min_j. Each 64-value chunk c stores sub-block 2c in low nibbles, 2c+1 in high nibbles.
 */
// @ts-ignore: decorator
@inline export function dotQ45K(w: usize, nb: i32, aq: usize, ad: usize, ads: usize, K: usize, out: usize, os: usize, nr: i32, five: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  let o0: f32 = 0, o1: f32 = 0, o2: f32 = 0, o3: f32 = 0;
  const sb = <usize>nb << 2;
  const m4 = i8x16.splat(15);
  const superBytes: usize = five ? 176 : 144;
  const nsuper = nb >> 3;
  for (let s = 0; s < nsuper; s++) {
    const p = w + <usize>s * superBytes;
    const d = scaleAt(tab, p, nr), dmin = scaleAt(tab, p + 2, nr);
    const sc = p + 4;
    const qs = five ? p + 48 : p + 16;
    const h0 = five ? v128.load(p, 16) : ZERO, h1 = five ? v128.load(p, 32) : ZERO;
    for (let c = 0; c < 4; c++) {
      const r0 = v128.load(qs + (<usize>c << 5)), r1 = v128.load(qs + (<usize>c << 5), 16);
      let l0 = v128.and(r0, m4), l1 = v128.and(r1, m4);
      let u0 = i8x16.shr_u(r0, 4), u1 = i8x16.shr_u(r1, 4);
      if (five) {
        const bl = i8x16.splat(<i8>(<i32>1 << (2 * c))), bu = i8x16.splat(<i8>(<i32>2 << (2 * c)));
        const sixteen = i8x16.splat(16);
        l0 = v128.or(l0, v128.and(i8x16.ne(v128.and(h0, bl), ZERO), sixteen));
        l1 = v128.or(l1, v128.and(i8x16.ne(v128.and(h1, bl), ZERO), sixteen));
        u0 = v128.or(u0, v128.and(i8x16.ne(v128.and(h0, bu), ZERO), sixteen));
        u1 = v128.or(u1, v128.and(i8x16.ne(v128.and(h1, bu), ZERO), sixteen));
      }
      const ds0 = d * kScale(sc, 2 * c), ds1 = d * kScale(sc, 2 * c + 1);
      const dm0 = dmin * kMin(sc, 2 * c), dm1 = dmin * kMin(sc, 2 * c + 1);
      const b = (s << 3) + 2 * c;
      const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2), sa = ads + (<usize>b << 2);
      a0 = block32(block32(a0, l0, l1, ds0 * load<f32>(da), qa), u0, u1, ds1 * load<f32>(da, 4), qa + 32);
      o0 += dm0 * load<f32>(sa) + dm1 * load<f32>(sa, 4);
      if (nr > 1) {
        a1 = block32(block32(a1, l0, l1, ds0 * load<f32>(da + sb), qa + K), u0, u1, ds1 * load<f32>(da + sb, 4), qa + K + 32);
        a2 = block32(block32(a2, l0, l1, ds0 * load<f32>(da + 2 * sb), qa + 2 * K), u0, u1, ds1 * load<f32>(da + 2 * sb, 4), qa + 2 * K + 32);
        a3 = block32(block32(a3, l0, l1, ds0 * load<f32>(da + 3 * sb), qa + 3 * K), u0, u1, ds1 * load<f32>(da + 3 * sb, 4), qa + 3 * K + 32);
        o1 += dm0 * load<f32>(sa + sb) + dm1 * load<f32>(sa + sb, 4);
        o2 += dm0 * load<f32>(sa + 2 * sb) + dm1 * load<f32>(sa + 2 * sb, 4);
        o3 += dm0 * load<f32>(sa + 3 * sb) + dm1 * load<f32>(sa + 3 * sb, 4);
      }
    }
  }
  store<f32>(out, hsum(a0) - o0);
  if (nr > 1) {
    store<f32>(out + os, hsum(a1) - o1);
    store<f32>(out + 2 * os, hsum(a2) - o2);
    store<f32>(out + 3 * os, hsum(a3) - o3);
  }
}

/** 32 values of Q6_K or Q3_K: two 16-lane halves with their own integer scales, unsigned values offset by `bias`. */
// @ts-ignore: decorator
@inline function groupsBiased(acc: v128, qx: v128, qy: v128, bias: v128, sx: i32, sy: i32, scale: f32, qa: usize): v128 {
  // i32x4.dot_i16x8_s multiplies the i16 pair sums by the scale as it widens them: exact, and cheaper than a
  // widening followed by an i32 multiply.
  const ix = i32x4.dot_i16x8_s(pairsU6Biased(qx, bias, v128.load(qa)), i16x8.splat(<i16>sx));
  const iy = i32x4.dot_i16x8_s(pairsU6Biased(qy, bias, v128.load(qa, 16)), i16x8.splat(<i16>sy));
  return fma4(acc, f32x4.convert_i32x4_s(i32x4.add(ix, iy)), f32x4.splat(scale));
}

/**
 * Q6_K: 210 bytes per 256 values = 128 bytes low nibbles (ql), 64 bytes of 2-bit highs (qh), 16 int8 scales,
 * f16 d; value = d·scale·(q − 32), one scale per 16 values. Each 128-value half n uses ql[64n..], qh[32n..]:
 * for l < 32, values l, l+32, l+64, l+96 come from ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high, with
 * qh[l] bits 0-1, 2-3, 4-5, 6-7.
 */
// @ts-ignore: decorator
@inline export function dotQ6K(w: usize, nb: i32, aq: usize, ad: usize, K: usize, out: usize, os: usize, nr: i32): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  const sb = <usize>nb << 2;
  const m4 = i8x16.splat(15), m2 = i8x16.splat(3), bias = i8x16.splat(32);
  const nsuper = nb >> 3;
  for (let s = 0; s < nsuper; s++) {
    const p = w + <usize>s * 210;
    const d = scaleAt(tab, p + 208, nr);
    for (let n = 0; n < 2; n++) {
      const ql = p + (<usize>n << 6), qh = p + 128 + (<usize>n << 5), sc = p + 192 + (<usize>n << 3);
      const la = v128.load(ql), lb = v128.load(ql, 16), lc = v128.load(ql, 32), ld = v128.load(ql, 48);
      const ha = v128.load(qh), hb = v128.load(qh, 16);
      for (let k = 0; k < 4; k++) {
        // k selects which nibble of which ql half and which qh bit pair builds group k of this half.
        const lowA = k & 1 ? lc : la, lowB = k & 1 ? ld : lb;
        const x0 = k < 2 ? v128.and(lowA, m4) : i8x16.shr_u(lowA, 4);
        const y0 = k < 2 ? v128.and(lowB, m4) : i8x16.shr_u(lowB, 4);
        const shift = <u32>(2 * k);
        const qx = v128.or(x0, i8x16.shl(v128.and(i8x16.shr_u(ha, shift), m2), 4));
        const qy = v128.or(y0, i8x16.shl(v128.and(i8x16.shr_u(hb, shift), m2), 4));
        const sx = <i32>load<i8>(sc + 2 * k), sy = <i32>load<i8>(sc + 2 * k + 1);
        const b = (s << 3) + (n << 2) + k;
        const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2);
        a0 = groupsBiased(a0, qx, qy, bias, sx, sy, d * load<f32>(da), qa);
        if (nr > 1) {
          a1 = groupsBiased(a1, qx, qy, bias, sx, sy, d * load<f32>(da + sb), qa + K);
          a2 = groupsBiased(a2, qx, qy, bias, sx, sy, d * load<f32>(da + 2 * sb), qa + 2 * K);
          a3 = groupsBiased(a3, qx, qy, bias, sx, sy, d * load<f32>(da + 3 * sb), qa + 3 * K);
        }
      }
    }
  }
  storeSums(out, os, nr, a0, a1, a2, a3);
}

/** 32 values of Q2_K: two 16-lane groups of 2-bit values with 4-bit scales and 4-bit mins. */
// @ts-ignore: decorator
@inline function groupsQ2(acc: v128, qx: v128, qy: v128, sx: v128, sy: v128, mx: v128, my: v128, scale: f32, minScale: f32, qa: usize): v128 {
  const a0 = v128.load(qa), a1 = v128.load(qa, 16);
  // Scales and mins (i16x8 splats) multiply i16 pair sums as i32x4.dot_i16x8_s widens them.
  const isum = i32x4.add(i32x4.dot_i16x8_s(pairsU7(qx, a0), sx), i32x4.dot_i16x8_s(pairsU7(qy, a1), sy));
  const imin = i32x4.add(i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_s(a0), mx), i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_s(a1), my));
  return fma4(fma4(acc, f32x4.convert_i32x4_s(isum), f32x4.splat(scale)), f32x4.convert_i32x4_s(imin), f32x4.splat(-minScale));
}

/**
 * Q2_K: 84 bytes per 256 values = 16 bytes of group scale (low nibble) and min (high nibble), 64 bytes of 2-bit
 * values, f16 d, f16 dmin; value in group g (16 values) = d·scale_g·q − dmin·min_g. Each 128-value half h uses
 * qs[32h..32h+32): its 32-value block j holds bits 2j..2j+1 of those bytes.
 */
// @ts-ignore: decorator
@inline export function dotQ2K(w: usize, nb: i32, aq: usize, ad: usize, K: usize, out: usize, os: usize, nr: i32): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  const sb = <usize>nb << 2;
  const m2 = i8x16.splat(3);
  const nsuper = nb >> 3;
  for (let s = 0; s < nsuper; s++) {
    const p = w + <usize>s * 84;
    const d = scaleAt(tab, p + 80, nr), dmin = scaleAt(tab, p + 82, nr);
    for (let h = 0; h < 2; h++) {
      const rx = v128.load(p + 16 + (<usize>h << 5)), ry = v128.load(p + 32 + (<usize>h << 5));
      for (let j = 0; j < 4; j++) {
        const shift = <u32>(2 * j);
        const qx = v128.and(i8x16.shr_u(rx, shift), m2), qy = v128.and(i8x16.shr_u(ry, shift), m2);
        const g = (h << 3) + 2 * j;
        const cx = <i32>load<u8>(p + g), cy = <i32>load<u8>(p + g + 1);
        const sx = i16x8.splat(<i16>(cx & 15)), sy = i16x8.splat(<i16>(cy & 15));
        const mx = i16x8.splat(<i16>(cx >> 4)), my = i16x8.splat(<i16>(cy >> 4));
        const b = (s << 3) + (h << 2) + j;
        const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2);
        const db0 = load<f32>(da);
        a0 = groupsQ2(a0, qx, qy, sx, sy, mx, my, d * db0, dmin * db0, qa);
        if (nr > 1) {
          const db1 = load<f32>(da + sb), db2 = load<f32>(da + 2 * sb), db3 = load<f32>(da + 3 * sb);
          a1 = groupsQ2(a1, qx, qy, sx, sy, mx, my, d * db1, dmin * db1, qa + K);
          a2 = groupsQ2(a2, qx, qy, sx, sy, mx, my, d * db2, dmin * db2, qa + 2 * K);
          a3 = groupsQ2(a3, qx, qy, sx, sy, mx, my, d * db3, dmin * db3, qa + 3 * K);
        }
      }
    }
  }
  storeSums(out, os, nr, a0, a1, a2, a3);
}

/** 6-bit scale of group g of a Q3_K super-block (12 packed bytes at `s`), less its bias of 32. */
// @ts-ignore: decorator
@inline function q3Scale(s: usize, g: i32): i32 {
  const low = g < 8 ? load<u8>(s + g) & 15 : load<u8>(s + g - 8) >> 4;
  return (<i32>low | (((<i32>load<u8>(s + 8 + (g & 3)) >> (2 * (g >> 2))) & 3) << 4)) - 32;
}

/**
 * Q3_K: 110 bytes per 256 values = 32 bytes hmask, 64 bytes of low 2 bits (laid out as Q2_K's), 12 bytes of
 * 6-bit group scales, f16 d; value = d·(scale_g − 32)·(q − 4) with q = low bits + 4·high bit. The high bit of
 * value 32b + l (block b of the super-block) is bit b of hmask[l].
 */
// @ts-ignore: decorator
@inline export function dotQ3K(w: usize, nb: i32, aq: usize, ad: usize, K: usize, out: usize, os: usize, nr: i32): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const tab = halfTable;
  const sb = <usize>nb << 2;
  const m2 = i8x16.splat(3), four = i8x16.splat(4);
  const nsuper = nb >> 3;
  for (let s = 0; s < nsuper; s++) {
    const p = w + <usize>s * 110;
    const d = scaleAt(tab, p + 108, nr);
    const hx = v128.load(p), hy = v128.load(p, 16);
    for (let h = 0; h < 2; h++) {
      const rx = v128.load(p + 32 + (<usize>h << 5)), ry = v128.load(p + 48 + (<usize>h << 5));
      for (let j = 0; j < 4; j++) {
        const shift = <u32>(2 * j);
        const bit = i8x16.splat(<i8>(<i32>1 << ((h << 2) + j)));
        const qx = v128.or(v128.and(i8x16.shr_u(rx, shift), m2), v128.and(i8x16.ne(v128.and(hx, bit), ZERO), four));
        const qy = v128.or(v128.and(i8x16.shr_u(ry, shift), m2), v128.and(i8x16.ne(v128.and(hy, bit), ZERO), four));
        const g = (h << 3) + 2 * j;
        const sx = q3Scale(p + 96, g), sy = q3Scale(p + 96, g + 1);
        const b = (s << 3) + (h << 2) + j;
        const qa = aq + (<usize>b << 5), da = ad + (<usize>b << 2);
        a0 = groupsBiased(a0, qx, qy, four, sx, sy, d * load<f32>(da), qa);
        if (nr > 1) {
          a1 = groupsBiased(a1, qx, qy, four, sx, sy, d * load<f32>(da + sb), qa + K);
          a2 = groupsBiased(a2, qx, qy, four, sx, sy, d * load<f32>(da + 2 * sb), qa + 2 * K);
          a3 = groupsBiased(a3, qx, qy, four, sx, sy, d * load<f32>(da + 3 * sb), qa + 3 * K);
        }
      }
    }
  }
  storeSums(out, os, nr, a0, a1, a2, a3);
}

/** F32 (half = false) or F16 weights against f32 activations `x` (K values per row). */
// @ts-ignore: decorator
@inline export function dotFloat(w: usize, K: i32, x: usize, out: usize, os: usize, nr: i32, half: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const xs = <usize>K << 2;
  const body = K & ~3;
  for (let i = 0; i < body; i += 4) {
    const wv = half ? f16x4ToF32x4(w + (<usize>i << 1)) : v128.load(w + (<usize>i << 2));
    const xp = x + (<usize>i << 2);
    a0 = fma4(a0, wv, v128.load(xp));
    if (nr > 1) {
      a1 = fma4(a1, wv, v128.load(xp + xs));
      a2 = fma4(a2, wv, v128.load(xp + 2 * xs));
      a3 = fma4(a3, wv, v128.load(xp + 3 * xs));
    }
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  for (let i = body; i < K; i++) {
    const wi = half ? f16ToF32(load<u16>(w + (<usize>i << 1))) : load<f32>(w + (<usize>i << 2));
    const xp = x + (<usize>i << 2);
    s0 += wi * load<f32>(xp);
    if (nr > 1) {
      s1 += wi * load<f32>(xp + xs);
      s2 += wi * load<f32>(xp + 2 * xs);
      s3 += wi * load<f32>(xp + 3 * xs);
    }
  }
  store<f32>(out, s0);
  if (nr > 1) {
    store<f32>(out + os, s1);
    store<f32>(out + 2 * os, s2);
    store<f32>(out + 3 * os, s3);
  }
}
