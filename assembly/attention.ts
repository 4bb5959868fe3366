import { f16x4ToF32x4, f32ToF16 } from './f16';
import { expf4 } from './exp';
import { fma4, hsum } from './simd';

// @ts-ignore: decorator
@inline function loadKV(p: usize, i: i32, half: bool): v128 {
  return half ? f16x4ToF32x4(p + (<usize>i << 1)) : v128.load(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function attendItems(out: usize, q: usize, k: usize, v: usize, start: i32, heads: i32, kvHeads: i32, hd: i32, scale: f32, scores: usize, i0: i32, i1: i32, half: bool): void {
  const group = heads / kvHeads;
  const elem: usize = half ? 2 : 4;
  const kvRow = <usize>(kvHeads * hd) * elem;
  for (let item = i0; item < i1; item++) {
    const t = item / heads, h = item % heads;
    const len = start + t + 1;
    const qr = q + ((<usize>item * hd) << 2), orow = out + ((<usize>item * hd) << 2);
    const kh = k + <usize>(h / group) * hd * elem, vh = v + <usize>(h / group) * hd * elem;
    let m = -Infinity as f32;
    for (let j = 0; j < len; j++) {
      const kr = kh + <usize>j * kvRow;
      let acc = f32x4.splat(0);
      for (let i = 0; i < hd; i += 4) acc = fma4(acc, v128.load(qr + (<usize>i << 2)), loadKV(kr, i, half));
      const s = hsum(acc) * scale;
      store<f32>(scores + (<usize>j << 2), s);
      m = max(m, s);
    }
    // Softmax weights: SIMD exp four positions at a time, the last len % 4 one by one.
    const mv = f32x4.splat(m);
    let sv = f32x4.splat(0);
    const body = len & ~3;
    for (let j = 0; j < body; j += 4) {
      const e = expf4(f32x4.sub(v128.load(scores + (<usize>j << 2)), mv));
      v128.store(scores + (<usize>j << 2), e);
      sv = f32x4.add(sv, e);
    }
    let sum = hsum(sv);
    for (let j = body; j < len; j++) {
      const e = Mathf.exp(load<f32>(scores + (<usize>j << 2)) - m);
      store<f32>(scores + (<usize>j << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    for (let i = 0; i < hd; i += 4) v128.store(orow + (<usize>i << 2), f32x4.splat(0));
    // Output += p_j·v_j, four positions per pass over the output row.
    let j = 0;
    for (; j + 4 <= len; j += 4) {
      const sp = scores + (<usize>j << 2);
      const p0 = f32x4.splat(load<f32>(sp) * inv), p1 = f32x4.splat(load<f32>(sp, 4) * inv);
      const p2 = f32x4.splat(load<f32>(sp, 8) * inv), p3 = f32x4.splat(load<f32>(sp, 12) * inv);
      const v0 = vh + <usize>j * kvRow;
      const v1 = v0 + kvRow, v2 = v1 + kvRow, v3 = v2 + kvRow;
      for (let i = 0; i < hd; i += 4) {
        const o = orow + (<usize>i << 2);
        let acc = fma4(v128.load(o), p0, loadKV(v0, i, half));
        acc = fma4(acc, p1, loadKV(v1, i, half));
        acc = fma4(acc, p2, loadKV(v2, i, half));
        v128.store(o, fma4(acc, p3, loadKV(v3, i, half)));
      }
    }
    for (; j < len; j++) {
      const p = f32x4.splat(load<f32>(scores + (<usize>j << 2)) * inv);
      const vr = vh + <usize>j * kvRow;
      for (let i = 0; i < hd; i += 4) {
        const o = orow + (<usize>i << 2);
        v128.store(o, fma4(v128.load(o), p, loadKV(vr, i, half)));
      }
    }
  }
}

/**
 * Causal grouped-query attention for work items i0 ≤ item < i1, item = t·heads + h (query row t at position
 * start + t, head h): softmax(q·kⱼ·scale over j ≤ start + t) · v. The cache is [ctx × kvHeads × hd] in f32, or
 * f16 when `half`. `scores` is this thread's scratch of at least start + n floats. hd is a multiple of 4.
 */
export function attention(out: usize, q: usize, k: usize, v: usize, start: i32, heads: i32, kvHeads: i32, hd: i32, scale: f32, half: bool, scores: usize, i0: i32, i1: i32): void {
  if (half) attendItems(out, q, k, v, start, heads, kvHeads, hd, scale, scores, i0, i1, true);
  else attendItems(out, q, k, v, start, heads, kvHeads, hd, scale, scores, i0, i1, false);
}

/** Writes count f32 values as f16 (round to nearest even): rows going into an f16 KV cache. */
export function storeF16(dst: usize, src: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(load<f32>(src + (<usize>i << 2))));
}
