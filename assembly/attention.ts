import { f16ToF32, f16x4ToF32x4, f32ToF16 } from './f16';
import { expf4 } from './exp';
import { fma4, hmax, hsum } from './simd';

/** f32 address of `count` (a multiple of 4) KV values at `p`: `p` itself, or `buf` holding them converted from f16. */
// @ts-ignore: decorator
@inline function kvRowF32(p: usize, count: i32, half: bool, buf: usize): usize {
  if (!half) return p;
  for (let i = 0; i < count; i += 4) v128.store(buf + (<usize>i << 2), f16x4ToF32x4(p + (<usize>i << 1)));
  return buf;
}

/** kvRowF32 of rows p, p + kvRow, p + 2·kvRow, p + 3·kvRow: where the first is; an f16 cache's go to buf, hd·4 bytes apart. */
// @ts-ignore: decorator
@inline function kvQuadF32(p: usize, kvRow: usize, hd: i32, half: bool, buf: usize): usize {
  if (!half) return p;
  for (let r = 0; r < 4; r++) kvRowF32(p + <usize>r * kvRow, hd, true, buf + (<usize>(r * hd) << 2));
  return buf;
}

/** Dot of two f32 rows of hd values (a multiple of 4). */
// @ts-ignore: decorator
@inline function dotRow(a: usize, b: usize, hd: i32): f32 {
  let acc = f32x4.splat(0);
  for (let i = 0; i < hd; i += 4) acc = fma4(acc, v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)));
  return hsum(acc);
}

/** The lane sums of a, b, c and d as one f32x4 (a's in lane 0). */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Scores at `s` (len of them) become exp(score − max), and the reciprocal of their sum is returned. */
// @ts-ignore: decorator
@inline function softmaxWeights(s: usize, len: i32): f32 {
  const body = len & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < body; j += 4) mv = f32x4.max(mv, v128.load(s + (<usize>j << 2)));
  let m = hmax(mv);
  for (let j = body; j < len; j++) m = max(m, load<f32>(s + (<usize>j << 2)));
  // SIMD exp four positions at a time, the last len % 4 one by one.
  mv = f32x4.splat(m);
  let sv = f32x4.splat(0);
  for (let j = 0; j < body; j += 4) {
    const e = expf4(f32x4.sub(v128.load(s + (<usize>j << 2)), mv));
    v128.store(s + (<usize>j << 2), e);
    sv = f32x4.add(sv, e);
  }
  let sum = hsum(sv);
  for (let j = body; j < len; j++) {
    const e = Mathf.exp(load<f32>(s + (<usize>j << 2)) - m);
    store<f32>(s + (<usize>j << 2), e);
    sum += e;
  }
  return <f32>1 / sum;
}

// @ts-ignore: decorator
@inline function attendItems(out: usize, q: usize, k: usize, v: usize, start: i32, heads: i32, kvHeads: i32, hd: i32, scale: f32, n: i32, scratch: usize, i0: i32, i1: i32, half: bool): void {
  const group = heads / kvHeads;
  const elem: usize = half ? 2 : 4;
  const kvRow = <usize>(kvHeads * hd) * elem;
  const rowF32 = <usize>hd << 2;
  const cap = <usize>(start + n) << 2;
  const rows = scratch, scores = scratch + 4 * rowF32;
  const quad = half ? rowF32 : kvRow; // bytes between the f32 rows kvQuadF32 gives
  for (let item = i0; item < i1; item++) {
    const t = item / kvHeads, kvh = item % kvHeads;
    const len = start + t + 1;
    // The group's query heads h0..h0+group-1 read KV head kvh: each K and V row is converted once for all of them.
    const h0 = kvh * group;
    const qt = q + ((<usize>(t * heads + h0) * hd) << 2), ot = out + ((<usize>(t * heads + h0) * hd) << 2);
    const kh = k + <usize>(kvh * hd) * elem, vh = v + <usize>(kvh * hd) * elem;
    // Scores four positions at a time: each query vector loaded once for four key rows.
    const sv = f32x4.splat(scale);
    let j = 0;
    for (; j + 4 <= len; j += 4) {
      const k0 = kvQuadF32(kh + <usize>j * kvRow, kvRow, hd, half, rows);
      const k1 = k0 + quad, k2 = k1 + quad, k3 = k2 + quad;
      // Two heads a pass share each key vector loaded; an odd group's last head goes alone.
      let g = 0;
      for (; g + 2 <= group; g += 2) {
        const qa = qt + <usize>g * rowF32, qb = qa + rowF32;
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (let i = 0; i < hd; i += 4) {
          const o = <usize>i << 2;
          const qv = v128.load(qa + o), qw = v128.load(qb + o);
          let kv = v128.load(k0 + o);
          a0 = fma4(a0, qv, kv);
          b0 = fma4(b0, qw, kv);
          kv = v128.load(k1 + o);
          a1 = fma4(a1, qv, kv);
          b1 = fma4(b1, qw, kv);
          kv = v128.load(k2 + o);
          a2 = fma4(a2, qv, kv);
          b2 = fma4(b2, qw, kv);
          kv = v128.load(k3 + o);
          a3 = fma4(a3, qv, kv);
          b3 = fma4(b3, qw, kv);
        }
        const at = scores + <usize>g * cap + (<usize>j << 2);
        v128.store(at, f32x4.mul(hsum4(a0, a1, a2, a3), sv));
        v128.store(at + cap, f32x4.mul(hsum4(b0, b1, b2, b3), sv));
      }
      if (g < group) {
        const qg = qt + <usize>g * rowF32;
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (let i = 0; i < hd; i += 4) {
          const o = <usize>i << 2;
          const qv = v128.load(qg + o);
          a0 = fma4(a0, qv, v128.load(k0 + o));
          a1 = fma4(a1, qv, v128.load(k1 + o));
          a2 = fma4(a2, qv, v128.load(k2 + o));
          a3 = fma4(a3, qv, v128.load(k3 + o));
        }
        v128.store(scores + <usize>g * cap + (<usize>j << 2), f32x4.mul(hsum4(a0, a1, a2, a3), sv));
      }
    }
    for (; j < len; j++) {
      const kr = kvRowF32(kh + <usize>j * kvRow, hd, half, rows);
      for (let g = 0; g < group; g++) store<f32>(scores + <usize>g * cap + (<usize>j << 2), dotRow(qt + <usize>g * rowF32, kr, hd) * scale);
    }
    for (let g = 0; g < group; g++) {
      const s = scores + <usize>g * cap;
      const inv = softmaxWeights(s, len);
      for (let j = 0; j < len; j++) store<f32>(s + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) * inv);
      const o = ot + <usize>g * rowF32;
      for (let i = 0; i < hd; i += 4) v128.store(o + (<usize>i << 2), f32x4.splat(0));
    }
    // Output += p_j·v_j, four positions per pass over each output row.
    for (j = 0; j + 4 <= len; j += 4) {
      const v0 = kvQuadF32(vh + <usize>j * kvRow, kvRow, hd, half, rows);
      const v1 = v0 + quad, v2 = v1 + quad, v3 = v2 + quad;
      // Two heads a pass share each value vector loaded, as the scores above.
      let g = 0;
      for (; g + 2 <= group; g += 2) {
        const sp = scores + <usize>g * cap + (<usize>j << 2), sq = sp + cap;
        const p0 = v128.load32_splat(sp), p1 = v128.load32_splat(sp, 4), p2 = v128.load32_splat(sp, 8), p3 = v128.load32_splat(sp, 12);
        const r0 = v128.load32_splat(sq), r1 = v128.load32_splat(sq, 4), r2 = v128.load32_splat(sq, 8), r3 = v128.load32_splat(sq, 12);
        const oa = ot + <usize>g * rowF32, ob = oa + rowF32;
        for (let i = 0; i < hd; i += 4) {
          const vi = <usize>i << 2;
          let x = v128.load(v0 + vi);
          let acc = fma4(v128.load(oa + vi), p0, x), acd = fma4(v128.load(ob + vi), r0, x);
          x = v128.load(v1 + vi);
          acc = fma4(acc, p1, x);
          acd = fma4(acd, r1, x);
          x = v128.load(v2 + vi);
          acc = fma4(acc, p2, x);
          acd = fma4(acd, r2, x);
          x = v128.load(v3 + vi);
          v128.store(oa + vi, fma4(acc, p3, x));
          v128.store(ob + vi, fma4(acd, r3, x));
        }
      }
      if (g < group) {
        const sp = scores + <usize>g * cap + (<usize>j << 2);
        const p0 = v128.load32_splat(sp), p1 = v128.load32_splat(sp, 4), p2 = v128.load32_splat(sp, 8), p3 = v128.load32_splat(sp, 12);
        const o = ot + <usize>g * rowF32;
        for (let i = 0; i < hd; i += 4) {
          const oi = o + (<usize>i << 2), vi = <usize>i << 2;
          let acc = fma4(v128.load(oi), p0, v128.load(v0 + vi));
          acc = fma4(acc, p1, v128.load(v1 + vi));
          acc = fma4(acc, p2, v128.load(v2 + vi));
          v128.store(oi, fma4(acc, p3, v128.load(v3 + vi)));
        }
      }
    }
    for (; j < len; j++) {
      const vr = kvRowF32(vh + <usize>j * kvRow, hd, half, rows);
      for (let g = 0; g < group; g++) {
        const p = v128.load32_splat(scores + <usize>g * cap + (<usize>j << 2));
        const o = ot + <usize>g * rowF32;
        for (let i = 0; i < hd; i += 4) {
          const oi = o + (<usize>i << 2);
          v128.store(oi, fma4(v128.load(oi), p, v128.load(vr + (<usize>i << 2))));
        }
      }
    }
  }
}

/** Scratch bytes one thread's attention needs: 4 converted KV rows, and a row of scores per query head of a group. */
export function attentionScratch(heads: i32, kvHeads: i32, hd: i32, positions: i32): usize {
  return (<usize>(4 * hd) << 2) + (<usize>(heads / kvHeads) * <usize>positions << 2);
}

/**
 * Causal grouped-query attention of n query rows (row t at position start + t) for work items i0 ≤ item < i1,
 * item = t·kvHeads + kvh: the query heads that read KV head kvh, softmax(q·kⱼ·scale over j ≤ start + t) · v. The
 * cache is [ctx × kvHeads × hd] in f32, or f16 when `half`. `scratch` is this thread's attentionScratch(…,
 * start + n) bytes. hd is a multiple of 4.
 */
export function attention(out: usize, q: usize, k: usize, v: usize, start: i32, heads: i32, kvHeads: i32, hd: i32, scale: f32, half: bool, n: i32, scratch: usize, i0: i32, i1: i32): void {
  if (half) attendItems(out, q, k, v, start, heads, kvHeads, hd, scale, n, scratch, i0, i1, true);
  else attendItems(out, q, k, v, start, heads, kvHeads, hd, scale, n, scratch, i0, i1, false);
}

/** Writes count f32 values as f16 (round to nearest even): rows going into an f16 KV cache. */
export function storeF16(dst: usize, src: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(load<f32>(src + (<usize>i << 2))));
}

/** Reads count f16 values as f32: the rows of an f16 KV cache that a prompt slice attends over. */
export function widenF16(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), f16x4ToF32x4(src + (<usize>i << 1)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), f16ToF32(load<u16>(src + (<usize>i << 1))));
}
