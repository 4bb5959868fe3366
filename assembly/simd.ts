// Small SIMD helpers shared by every kernel. The relaxed build (compiled with --enable relaxed-simd) and the
// SIMD128 build come from this same source: ASC_FEATURE_RELAXED_SIMD is a compile-time constant.

/** Sum of the four lanes of an f32x4. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Maximum of the four lanes of an f32x4. */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

/** acc + a*b on f32x4 lanes (fused where the runtime has relaxed SIMD). */
// @ts-ignore: decorator
@inline export function fma4(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// Integer dots take the activation `a` as signed i8 (-127..127) and weights as i8 lanes. Relaxed SIMD's
// i8×i7 dot is exact on every CPU only when the weight lanes are within 0..127 (x86 implements it with an
// unsigned×signed multiply), so unsigned quants go in as they are and their offset is applied afterwards, and
// Q8_0's signed weights go in as |w| with their signs moved onto the activations (dotSignMoved).
// Only the i16x8 form is used: Node 20's V8 doubles the result of i32x4.relaxed_dot_i8x16_i7x16_add_s.

/** Σ of 32 products w·a for weights within 0..31 (4- and 5-bit quants), as i32x4 partial sums: four products of at most 127·31 fit an i16 lane. */
// @ts-ignore: decorator
@inline export function dot32Small(w0: v128, w1: v128, a0: v128, a1: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(a0, w0), i16x8.relaxed_dot_i8x16_i7x16_s(a1, w1)));
  }
  const p0 = i16x8.add(i16x8.extmul_low_i8x16_s(w0, a0), i16x8.extmul_high_i8x16_s(w0, a0));
  const p1 = i16x8.add(i16x8.extmul_low_i8x16_s(w1, a1), i16x8.extmul_high_i8x16_s(w1, a1));
  return i32x4.extadd_pairwise_i16x8_s(i16x8.add(p0, p1));
}

/** acc (i32x4) += 16 products of two signed i8 vectors; |product| ≤ 128·127, so two fit an i16 lane. Exact on every path. */
// @ts-ignore: decorator
@inline export function dotI8(acc: v128, w: v128, a: v128): v128 {
  const p = i16x8.add(i16x8.extmul_low_i8x16_s(w, a), i16x8.extmul_high_i8x16_s(w, a));
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(p));
}

/**
 * 16 products w·a for weights within 0..127 (Q2_K's 2-bit values) summed in pairs into i16 lanes (127·127·2
 * fits); which products pair up differs between the builds, so only a sum over all lanes is meaningful.
 */
// @ts-ignore: decorator
@inline export function pairsU7(w: v128, a: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(a, w);
  return i16x8.add(i16x8.extmul_low_i8x16_s(w, a), i16x8.extmul_high_i8x16_s(w, a));
}

/**
 * acc += Σ w·a over 32 lanes of signed weights (Q8_0) given as |w| (aw, within 0..127) and the lanes where
 * w < 0 (neg, all ones): each weight's sign moves onto its activation, w·a = |w|·(sign(w)·a), so relaxed
 * SIMD's i8×i7 dot is exact (x86's maddubs code does the same). (a ^ neg) − neg negates the lanes of neg; a
 * negated activation stays within -127..127, and a pair sum of 127·127 products fits an i16 lane.
 * Relaxed build only: see dotI8 for the other.
 */
// @ts-ignore: decorator
@inline export function dotSignMoved(acc: v128, aw0: v128, aw1: v128, neg0: v128, neg1: v128, a0: v128, a1: v128): v128 {
  const d0 = i16x8.relaxed_dot_i8x16_i7x16_s(i8x16.sub(v128.xor(a0, neg0), neg0), aw0);
  const d1 = i16x8.relaxed_dot_i8x16_i7x16_s(i8x16.sub(v128.xor(a1, neg1), neg1), aw1);
  return i32x4.add(acc, i32x4.add(i32x4.extadd_pairwise_i16x8_s(d0), i32x4.extadd_pairwise_i16x8_s(d1)));
}

/**
 * 16 products (w − bias)·a for weights within 0..63 (Q6_K, Q3_K) summed in pairs into i16 lanes: pair sums of
 * either dot stay within ±16002. As pairsU7, only a sum over all lanes is meaningful.
 */
// @ts-ignore: decorator
@inline export function pairsU6Biased(w: v128, bias: v128, a: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.sub(i16x8.relaxed_dot_i8x16_i7x16_s(a, w), i16x8.relaxed_dot_i8x16_i7x16_s(a, bias));
  const v = i8x16.sub(w, bias);
  return i16x8.add(i16x8.extmul_low_i8x16_s(v, a), i16x8.extmul_high_i8x16_s(v, a));
}

/** acc − a·b on f32x4 lanes (fused where the runtime has relaxed SIMD). */
// @ts-ignore: decorator
@inline export function fnma4(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, acc);
  return f32x4.sub(acc, f32x4.mul(a, b));
}

/**
 * acc (i16x8) += products of 16 weight bytes within 0..127 with one activation's 4 bytes splatted into `x`,
 * summed in pairs: the step of the interleaved kernels (x4-*.ts), whose weight vectors hold 4 bytes of each of
 * 4 rows, so that lanes 2r and 2r+1 gather row r. The caller loads `x` (v128.load32_splat) with an immediate
 * offset where it can: a computed address costs an add per load. Relaxed build only: the backend interleaves
 * no matrix for the SIMD128 build.
 */
// @ts-ignore: decorator
@inline export function dotX4(acc: v128, w: v128, x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.add(acc, i16x8.relaxed_dot_i8x16_i7x16_s(x, w));
  unreachable();
  return acc;
}

/** The low and high nibbles of 16 bytes (a byte shift is two instructions on x86 either way). */
// @ts-ignore: decorator
@inline export function lowNibbles(r: v128): v128 {
  return v128.and(r, i8x16.splat(15));
}

// @ts-ignore: decorator
@inline export function highNibbles(r: v128): v128 {
  return v128.and(i16x8.shr_u(r, 4), i8x16.splat(15));
}

/** Stores a tile's results: f0 (one f32x4 of 4 rows) at out, and for nc = 4 columns, f1..f3 each os bytes on. */
// @ts-ignore: decorator
@inline export function storeColumns(out: usize, os: usize, nc: i32, f0: v128, f1: v128, f2: v128, f3: v128): void {
  v128.store(out, f0);
  if (nc > 1) {
    v128.store(out + os, f1);
    v128.store(out + 2 * os, f2);
    v128.store(out + 3 * os, f3);
  }
}
