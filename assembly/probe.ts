// Compiled with relaxed SIMD enabled: if the runtime validates this module, it can run the relaxed kernels.
export function probe(p: usize): void {
  v128.store(p, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(p), v128.load(p, 16), v128.load(p, 32)));
}
