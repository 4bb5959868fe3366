/** Sums `bytes` (a multiple of 64) from `p` with 16-byte loads: the benchmark's measure of memory read bandwidth. */
export function streamRead(p: usize, bytes: usize): f32 {
  let a = f32x4.splat(0), b = a, c = a, d = a;
  for (let i: usize = 0; i < bytes; i += 64) {
    a = f32x4.add(a, v128.load(p + i));
    b = f32x4.add(b, v128.load(p + i, 16));
    c = f32x4.add(c, v128.load(p + i, 32));
    d = f32x4.add(d, v128.load(p + i, 48));
  }
  const s = f32x4.add(f32x4.add(a, b), f32x4.add(c, d));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
