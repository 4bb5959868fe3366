/**
 * Rotates, in place, the first `dims` dimensions of each head of each of n rows, row t at position pos[t]:
 * pair (a, b) → (a·cos θ − b·sin θ, a·sin θ + b·cos θ) with θ = pos · invFreq[i]. Pairs are (2i, 2i+1), or
 * (i, i + dims/2) when neox. θ's cosine and sine are computed once per row and pair, shared by every head.
 */
export function rope(x: usize, n: i32, heads: i32, headDim: i32, pos: usize, dims: i32, invFreq: usize, neox: bool, scratch: usize): void {
  const half = dims >> 1;
  for (let t = 0; t < n; t++) {
    const p = <f32>load<i32>(pos + (<usize>t << 2));
    for (let i = 0; i < half; i++) {
      const theta = <f64>(p * load<f32>(invFreq + (<usize>i << 2)));
      store<f32>(scratch + (<usize>i << 3), <f32>Math.cos(theta));
      store<f32>(scratch + (<usize>i << 3), <f32>Math.sin(theta), 4);
    }
    for (let h = 0; h < heads; h++) {
      const base = x + ((<usize>(t * heads + h) * headDim) << 2);
      for (let i = 0; i < half; i++) {
        const c = load<f32>(scratch + (<usize>i << 3)), s = load<f32>(scratch + (<usize>i << 3), 4);
        const pa = base + ((neox ? <usize>i : <usize>(2 * i)) << 2);
        const pb = base + ((neox ? <usize>(i + half) : <usize>(2 * i + 1)) << 2);
        const a = load<f32>(pa), b = load<f32>(pb);
        store<f32>(pa, a * c - b * s);
        store<f32>(pb, a * s + b * c);
      }
    }
  }
}
