import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsBackend } from '../src/backend/js/backend.js';
import type { RopeParams } from '../src/backend/backend.js';
import { dequantize, quantize } from '../src/quant/index.js';
import { GGMLType, typeName } from '../src/tensor/ggml-type.js';
import { SIMD_LEVELS, fill, random, withBackend } from './wasm-helpers.js';

// The JS backend computes in float64 with plain loops; the wasm kernels in f32 SIMD: they agree to f32 precision.
const js = new JsBackend();

function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= tol * Math.max(1, Math.abs(want[i]!)))) assert.fail(`${what}: value ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

function ropeParams(dims: number, neox: boolean, base = 10000): RopeParams {
  const invFreq = new Float32Array(dims / 2);
  for (let i = 0; i < dims / 2; i++) invFreq[i] = base ** ((-2 * i) / dims);
  return { dims, invFreq, neox };
}

for (const simd of SIMD_LEVELS) {
  test(`${simd}: rmsNorm, swiglu, add, addBias match the reference (lengths off the vector width)`, () => {
    const rnd = random(5);
    withBackend(2, simd, (b) => {
      for (const dim of [64, 67, 2048]) {
        const n = 3;
        const x = fill(b.alloc(n * dim), rnd, 4);
        const w = fill(new Float32Array(dim), rnd); // a model's norm weight: a plain array
        const out = b.alloc(n * dim);
        b.rmsNorm(out, x, w, n, dim, 1e-5);
        const want = new Float32Array(n * dim);
        js.rmsNorm(want, x, w, n, dim, 1e-5);
        assertNear(out, want, 2e-6, `rmsNorm dim ${dim}`);

        const gate = fill(b.alloc(n * dim), rnd, 8);
        const up = fill(b.alloc(n * dim), rnd);
        b.swiglu(out, gate, up, n * dim);
        js.swiglu(want, gate, up, n * dim);
        assertNear(out, want, 2e-6, `swiglu ${dim}`);

        const y = fill(b.alloc(n * dim), rnd);
        const sum = Float32Array.from(x);
        js.add(sum, y, n * dim);
        b.add(x, y, n * dim);
        assertNear(x, sum, 0, `add ${dim}`);

        const bias = fill(new Float32Array(dim), rnd);
        js.addBias(sum, bias, n, dim);
        b.addBias(x, bias, n, dim);
        assertNear(x, sum, 0, `addBias ${dim}`);
      }
    });
  });

  test(`${simd}: swiglu shared among threads (a length past the parallel threshold, not a multiple of 4 or of the threads) matches the reference, with extreme gates`, () => {
    const rnd = random(6);
    withBackend(3, simd, (b) => {
      const length = 70001;
      const gate = fill(b.alloc(length), rnd, 8);
      gate.set([-200, -90, -88, 88, 90, 200, 0], 0); // past expf4's clamp on both sides
      const up = fill(b.alloc(length), rnd);
      const out = b.alloc(length);
      b.swiglu(out, gate, up, length);
      const want = new Float32Array(length);
      js.swiglu(want, gate, up, length);
      assertNear(out, want, 2e-6, 'swiglu 70001');
    });
  });

  test(`${simd}: rope rotates adjacent and NeoX pairs, partial rotary dims, any positions`, () => {
    const rnd = random(9);
    withBackend(2, simd, (b) => {
      for (const [dims, neox] of [[64, false], [64, true], [32, false], [32, true]] as const) {
        const n = 5;
        const heads = 4;
        const hd = 64;
        const x = fill(b.alloc(n * heads * hd), rnd);
        const want = Float32Array.from(x);
        const pos = Int32Array.from([0, 1, 7, 300, 4095]);
        const p = ropeParams(dims, neox);
        b.rope(x, n, heads, hd, pos, p);
        js.rope(want, n, heads, hd, pos, p);
        // θ = pos·freq is rounded to f32 (as llama.cpp does) before cos/sin: at position 4095 that moves θ by up to 2.4e-4.
        assertNear(x, want, 5e-4, `rope dims ${dims} neox ${neox}`);
      }
    });
  });

  test(`${simd}: attention over f32 and f16 KV caches, grouped heads, prompt and decode shapes`, () => {
    const rnd = random(13);
    for (const threads of [1, 2, 3]) {
      withBackend(threads, simd, (b) => {
        for (const { n, start, heads, kvHeads, hd } of [
          { n: 1, start: 0, heads: 4, kvHeads: 4, hd: 16 },
          { n: 7, start: 0, heads: 8, kvHeads: 2, hd: 64 },
          { n: 1, start: 40, heads: 6, kvHeads: 3, hd: 32 },
          { n: 5, start: 9, heads: 4, kvHeads: 1, hd: 8 },
          // Odd groups (heads per KV head): pairs of heads and a last one alone; 14/2 is Qwen2-0.5B's.
          { n: 6, start: 3, heads: 14, kvHeads: 2, hd: 64 },
          { n: 1, start: 12, heads: 9, kvHeads: 3, hd: 16 },
        ]) {
          const ctx = start + n + 3;
          const kv = ctx * kvHeads * hd;
          const q = fill(b.alloc(n * heads * hd), rnd, 2);
          const k = fill(b.alloc(kv), rnd, 2);
          const v = fill(b.alloc(kv), rnd);
          const scale = 1 / Math.sqrt(hd);
          const out = b.alloc(n * heads * hd);
          b.attention(out, q, k, v, n, start, heads, kvHeads, hd, scale);
          const want = new Float32Array(n * heads * hd);
          js.attention(want, q, k, v, n, start, heads, kvHeads, hd, scale);
          assertNear(out, want, 3e-6, `attention n=${n} start=${start} ${heads}/${kvHeads} heads threads=${threads}`);

          // f16 cache: the oracle is the f32 reference over the same values rounded to f16 by the quant module.
          const k16 = b.allocF16(kv);
          const v16 = b.allocF16(kv);
          b.storeF16(k16, 0, k, kv);
          b.storeF16(v16, 0, v, kv);
          assert.deepEqual(new Uint8Array(k16.buffer, k16.byteOffset, kv * 2), quantize(GGMLType.F16, k));
          const kr = dequantize(GGMLType.F16, quantize(GGMLType.F16, k), kv);
          const vr = dequantize(GGMLType.F16, quantize(GGMLType.F16, v), kv);
          b.attentionF16(out, q, k16, v16, n, start, heads, kvHeads, hd, scale);
          js.attention(want, q, kr, vr, n, start, heads, kvHeads, hd, scale);
          assertNear(out, want, 3e-6, `f16 attention n=${n} start=${start}`);
          b.freeF16(k16);
          b.freeF16(v16);
        }
      });
    }
  });

  test(`${simd}: getRows dequantizes embedding rows, from interleaved matrices too`, () => {
    const rnd = random(17);
    withBackend(1, simd, (b) => {
      // 12 rows: interleaved by the relaxed build where the type has a layout for it; 10 rows: never.
      for (const rows of [10, 12]) {
        for (const type of [GGMLType.Q4_0, GGMLType.Q4_K, GGMLType.Q6_K, GGMLType.Q8_0, GGMLType.F16]) {
          const bytes = quantize(type, fill(new Float32Array(rows * 256), rnd));
          const m = b.matrix(type, rows, 256, bytes);
          const out = b.alloc(3 * 256);
          b.getRows(out, m, [9, 0, 6]);
          const all = dequantize(type, bytes, rows * 256);
          assertNear(out, [...all.subarray(9 * 256, 2560), ...all.subarray(0, 256), ...all.subarray(6 * 256, 7 * 256)], 0, `getRows ${typeName(type)} ${rows} rows`);
          assert.throws(() => b.getRows(out, m, [rows]), { code: 'BAD_ARGUMENT' });
        }
      }
    });
  });
}

test('alloc/free reuse memory; buffers from elsewhere are staged and give the same results', () => {
  withBackend(2, 'simd128', (b) => {
    const a = b.alloc(1000);
    const used = b.memoryBytes;
    b.free(a);
    const c = b.alloc(1000);
    assert.equal(c.byteOffset, a.byteOffset);
    assert.ok(c.every((v) => v === 0), 'reused memory is zeroed');
    assert.equal(b.memoryBytes, used);
    assert.throws(() => b.free(new Float32Array(4)), { code: 'BAD_ARGUMENT' });

    const rnd = random(21);
    const q = fill(new Float32Array(2 * 4 * 16), rnd);
    const k = fill(new Float32Array(6 * 2 * 16), rnd);
    const v = fill(new Float32Array(6 * 2 * 16), rnd);
    const out = new Float32Array(2 * 4 * 16);
    b.attention(out, q, k, v, 2, 3, 4, 2, 16, 0.25);
    const want = new Float32Array(out.length);
    js.attention(want, q, k, v, 2, 3, 4, 2, 16, 0.25);
    assertNear(out, want, 3e-6, 'staged attention');
    assert.throws(() => b.attention(out, q, k.subarray(0, 40), v, 2, 3, 4, 2, 16, 0.25), { code: 'BAD_ARGUMENT' });
    assert.throws(() => b.attention(out, q, k, v, 2, 3, 4, 3, 16, 0.25), { code: 'BAD_ARGUMENT' });
  });
});

/** An f16's value from its fields (sign, 5-bit exponent, 10-bit mantissa), as IEEE 754 defines it. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31, m = h & 1023;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (e === 0 ? m * 2 ** -24 : 2 ** (e - 15) * (1 + m / 1024));
}

for (const simd of SIMD_LEVELS) {
  test(`${simd}: the f16 conversion of the kernels is exact for all 65536 halves, Inf and NaN included`, () => {
    withBackend(1, simd, (b) => {
      // Row i = [half i, 1, 1, 1] against [1, 0, 0, 0]: its product is half i's value, through the 4-lane
      // conversion, which takes a separate way when a lane is zero or subnormal.
      const bytes = new Uint8Array(65536 * 8);
      for (let h = 0; h < 65536; h++) {
        bytes.set([h & 255, h >> 8, 0x00, 0x3c, 0x00, 0x3c, 0x00, 0x3c], h * 8);
      }
      const out = b.alloc(65536);
      const x = b.alloc(4);
      x[0] = 1;
      b.matmul(out, b.matrix(GGMLType.F16, 65536, 4, bytes), x, 1);
      for (let h = 0; h < 65536; h++) {
        // −0 sums to +0 with the zeros of its row: compared with ===.
        if (out[h] !== Math.fround(halfValue(h)) && !(Number.isNaN(out[h]) && Number.isNaN(halfValue(h)))) {
          assert.fail(`half 0x${h.toString(16)}: got ${out[h]}, expected ${halfValue(h)}`);
        }
      }
    });
  });
}
