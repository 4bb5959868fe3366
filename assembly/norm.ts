import { fma4, hsum } from './simd';

/** out = x / sqrt(mean(x²) + eps) · weight, for each of n rows of dim values. */
export function rmsNorm(out: usize, x: usize, weight: usize, n: i32, dim: i32, eps: f32): void {
  for (let t = 0; t < n; t++) {
    const xr = x + ((<usize>t * dim) << 2), or = out + ((<usize>t * dim) << 2);
    const body = dim & ~3;
    let acc = f32x4.splat(0);
    for (let i = 0; i < body; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      acc = fma4(acc, v, v);
    }
    let ss = <f64>hsum(acc);
    for (let i = body; i < dim; i++) ss += <f64>load<f32>(xr + (<usize>i << 2)) * load<f32>(xr + (<usize>i << 2));
    const s = <f32>(1.0 / Math.sqrt(ss / <f64>dim + <f64>eps));
    const scale = f32x4.splat(s);
    for (let i = 0; i < body; i += 4) {
      const o = <usize>i << 2;
      v128.store(or + o, f32x4.mul(f32x4.mul(v128.load(xr + o), scale), v128.load(weight + o)));
    }
    for (let i = body; i < dim; i++) {
      const o = <usize>i << 2;
      store<f32>(or + o, load<f32>(xr + o) * s * load<f32>(weight + o));
    }
  }
}
