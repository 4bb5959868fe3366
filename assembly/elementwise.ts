import { expf4 } from './exp';

// Elementwise kernels over f32 buffers. Lengths need not be multiples of 4: a scalar tail finishes each.

/** out = silu(gate) · up, silu(g) = g / (1 + e^−g); e^−g clamped as expf4 clamps it, where silu is g or 0 to f32. */
export function swiglu(out: usize, gate: usize, up: usize, length: i32): void {
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(gate + o);
    const silu = f32x4.div(g, f32x4.add(f32x4.splat(1), expf4(f32x4.neg(g))));
    v128.store(out + o, f32x4.mul(silu, v128.load(up + o)));
  }
  for (; i < length; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(gate + o);
    store<f32>(out + o, (g / (1 + Mathf.exp(-g))) * load<f32>(up + o));
  }
}

/** x += y. */
export function add(x: usize, y: usize, length: i32): void {
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < length; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** Adds bias (dim values) to each of n rows of x. */
export function addBias(x: usize, bias: usize, n: i32, dim: i32): void {
  for (let t = 0; t < n; t++) add(x + ((<usize>t * dim) << 2), bias, dim);
}
