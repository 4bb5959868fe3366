import { WasmBackend } from '../src/backend/wasm/backend.js';
import { hasRelaxedSimd, type SimdLevel } from '../src/backend/wasm/kernels.js';

/** Both kernel builds; a runtime without relaxed SIMD fails the relaxed tests rather than skipping them. */
export const SIMD_LEVELS: readonly SimdLevel[] = ['simd128', 'relaxed'];

export function relaxedAvailable(): boolean {
  return hasRelaxedSimd();
}

/** Seeded uniform numbers in [-1, 1) (xorshift32), so a failure reproduces. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 31 - 1;
  };
}

export function fill(view: Float32Array, rnd: () => number, scale = 1): Float32Array {
  for (let i = 0; i < view.length; i++) view[i] = rnd() * scale;
  return view;
}

/** Runs `body` with a backend of `threads` threads and `simd` kernels, disposing of it afterwards. */
export function withBackend<T>(threads: number, simd: SimdLevel, body: (b: WasmBackend) => T): T {
  const b = new WasmBackend({ threads, simd });
  try {
    return body(b);
  } finally {
    b.dispose();
  }
}

/**
 * The activations a quantized product actually multiplies: each 32-value block as d·q with d = amax/127 and
 * q = round-half-even(x/d) in f32 arithmetic. This restates the kernels' contract (assembly/activation.ts) in
 * float64 terms, independently of their SIMD code.
 */
export function quantizedActivations(x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let i = b; i < b + 32; i++) amax = Math.max(amax, Math.abs(x[i]!));
    const d = Math.fround(amax / 127);
    const id = d === 0 ? 0 : Math.fround(1 / d);
    for (let i = b; i < b + 32; i++) out[i] = roundHalfEven(Math.fround(x[i]! * id)) * d;
  }
  return out;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Float64 Σ w·x for `rows` weight rows of `cols` and n activation rows, with Σ|w·x| for the error bound. */
export function float64Product(w: ArrayLike<number>, rows: number, cols: number, x: Float64Array, n: number): { y: Float64Array; mag: Float64Array } {
  const y = new Float64Array(n * rows);
  const mag = new Float64Array(n * rows);
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < cols; k++) {
        const p = w[r * cols + k]! * x[t * cols + k]!;
        s += p;
        m += Math.abs(p);
      }
      y[t * rows + r] = s;
      mag[t * rows + r] = m;
    }
  }
  return { y, mag };
}
