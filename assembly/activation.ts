import { hmax } from './simd';

// Activations quantized for the int8 products, one 32-value block at a time: i8 values q (-127..127) in
// `aq` (row-major, K per row), the block scale d in `ad`, and d·Σq in `ads` (what the offset and min terms of
// Q4_0/Q4_1/Q5_x/Q4_K/Q5_K multiply), and in `a16` the two i16 sums Σq of its 16-value halves (what the −32
// bias of Q6_K's 16-value scale groups multiplies). Per-32 scales are at least as fine as llama.cpp's Q8_0/Q8_K activations.

export function quantizeRows(x: usize, n: i32, K: i32, aq: usize, ad: usize, ads: usize, a16: usize): void {
  const blocks = (n * K) >> 5;
  for (let b = 0; b < blocks; b++) {
    const p = x + (<usize>b << 7);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    const v4 = v128.load(p, 64), v5 = v128.load(p, 80), v6 = v128.load(p, 96), v7 = v128.load(p, 112);
    const m = f32x4.max(
      f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3))),
      f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))),
    );
    const amax = hmax(m);
    const d: f32 = amax / 127;
    const inv = f32x4.splat(d != 0 ? <f32>1 / d : 0); // as ggml's Q8_0 quantizer; rounding is to nearest even
    const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v0, inv)));
    const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v1, inv)));
    const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v2, inv)));
    const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v3, inv)));
    const q4 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v4, inv)));
    const q5 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v5, inv)));
    const q6 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v6, inv)));
    const q7 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v7, inv)));
    const dst = aq + (<usize>b << 5);
    v128.store(dst, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
    v128.store(dst, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q4, q5), i16x8.narrow_i32x4_s(q6, q7)), 16);
    const s0 = i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), s1 = i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7));
    const low = i32x4.extract_lane(s0, 0) + i32x4.extract_lane(s0, 1) + i32x4.extract_lane(s0, 2) + i32x4.extract_lane(s0, 3);
    const high = i32x4.extract_lane(s1, 0) + i32x4.extract_lane(s1, 1) + i32x4.extract_lane(s1, 2) + i32x4.extract_lane(s1, 3);
    const sum = low + high;
    store<i16>(a16 + (<usize>b << 2), <i16>low);
    store<i16>(a16 + (<usize>b << 2), <i16>high, 2);
    store<f32>(ad + (<usize>b << 2), d);
    store<f32>(ads + (<usize>b << 2), d * <f32>sum);
  }
}
