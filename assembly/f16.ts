// IEEE half → single conversion, scalar and 4 lanes at a time. Wasm SIMD has no f16 instructions, so the bits are
// rebuilt: normals re-bias the exponent (+112), subnormals are exact small integers times 2^-24, and the all-ones
// exponent keeps Inf/NaN.

const HALF_SUBNORMAL_UNIT: f32 = 5.9604644775390625e-8; // 2^-24

/**
 * Address of a 65536-entry f16 → f32 table (256 KiB, in the shared memory): block scales are converted by one
 * load instead of a dozen integer operations and two branches. Every instance points at the same table.
 */
export let halfTable: usize = 0;

/** Points this instance at the table at `at`, filling it first when `fill` (once, by the first instance). */
export function useHalfTable(at: usize, fill: bool): void {
  if (fill) for (let h: u32 = 0; h < 65536; h++) store<f32>(at + (<usize>h << 2), f16ToF32(h));
  halfTable = at;
}

/** The f32 value of the f16 at `p`, through the table. */
// @ts-ignore: decorator
@inline export function halfAt(table: usize, p: usize): f32 {
  return load<f32>(table + (<usize>load<u16>(p) << 2));
}

// @ts-ignore: decorator
@inline export function f16ToF32(h: u32): f32 {
  const exp = h & 0x7c00;
  const sign = (h & 0x8000) << 16;
  if (exp == 0) {
    const m = <f32>(h & 0x3ff) * HALF_SUBNORMAL_UNIT;
    return reinterpret<f32>(reinterpret<u32>(m) | sign);
  }
  const mag = (h & 0x7fff) << 13;
  const bits = exp == 0x7c00 ? mag | 0x7f800000 : mag + 0x38000000;
  return reinterpret<f32>(bits | sign);
}

/**
 * Four halves at `p` (2-byte aligned) as an f32x4, exactly. The half's sign, exponent and mantissa shifted into
 * an f32's places make an f32 of 2^-112 times its value, which one product rescales; the all-ones exponent (Inf,
 * NaN) then gets the f32's all-ones exponent back. Subnormal halves would make subnormal f32s, whose arithmetic
 * x86 runs a hundred times slower: a vector holding one (or a zero) takes the longer way, without them.
 */
// @ts-ignore: decorator
@inline export function f16x4ToF32x4(p: usize): v128 {
  const h = v128.load16x4_s(p); // sign-extended: bit 31 of h << 13 is the sign
  const exp = v128.and(h, i32x4.splat(0x7c00));
  if (v128.any_true(i32x4.eq(exp, i32x4.splat(0)))) return withSubnormals(h, exp);
  const scaled = f32x4.mul(v128.and(i32x4.shl(h, 13), i32x4.splat(0x8fffffff)), f32x4.splat(5.192296858534828e33)); // 2^112
  return v128.or(scaled, v128.and(i32x4.eq(exp, i32x4.splat(0x7c00)), i32x4.splat(0x7f800000)));
}

/** f16x4ToF32x4 of halves `h` (exponent bits `exp`) by fields: normals re-biased, subnormals as integers times 2^-24. */
// @ts-ignore: decorator
@inline function withSubnormals(h: v128, exp: v128): v128 {
  const mag = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  const normal = i32x4.add(mag, i32x4.splat(0x38000000));
  // Signed conversion of the 10-bit mantissa: the same value, and V8 emits one instruction for it, eight for unsigned.
  const sub = f32x4.mul(f32x4.convert_i32x4_s(v128.and(h, i32x4.splat(0x3ff))), f32x4.splat(HALF_SUBNORMAL_UNIT));
  let r = v128.bitselect(sub, normal, i32x4.eq(exp, i32x4.splat(0)));
  r = v128.bitselect(v128.or(mag, i32x4.splat(0x7f800000)), r, i32x4.eq(exp, i32x4.splat(0x7c00)));
  return v128.or(r, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** f32 → f16 bits, round to nearest even (for the f16 KV cache). */
export function f32ToF16(x: f32): u32 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >>> 16) & 0x8000;
  const exp = <i32>((bits >>> 23) & 0xff);
  let mant = bits & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant != 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = <u32>(14 - e);
    let h = mant >>> shift;
    const rem = mant & ((<u32>1 << shift) - 1);
    const half = <u32>1 << (shift - 1);
    if (rem > half || (rem == half && (h & 1) != 0)) h++;
    return sign | h;
  }
  let h = (<u32>e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) h++; // a carry into the exponent is still the right rounding
  return sign | h;
}
