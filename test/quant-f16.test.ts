import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFFile } from '../src/gguf/reader.js';
import { GGMLType } from '../src/tensor/ggml-type.js';
import { dequantize, dequantizeRow, quantize } from '../src/quant/index.js';
import { F16_TO_F32, bf16ToFp32, fp16ToFp32, fp32ToBf16, fp32ToFp16 } from '../src/quant/f16.js';
import { halfValue } from './helpers/half.js';

/*
 * Oracles: IEEE 754 read as float64 arithmetic (value = (1 + m/2^p) * 2^(e - bias), subnormals m/2^p * 2^(1 - bias);
 * rounding = the nearest representable value, ties to the even significand, |x| >= max + ulp/2 -> inf), written here
 * independently of the bit manipulation in src/quant/f16.ts; and llama.cpp, which quantized the F16 model's
 * f32 meaning into the Q8_0 and Q4_0 models.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (w: number): number => {
  u32[0] = w >>> 0;
  return f32[0]!;
};
const bitsOf = (x: number): number => {
  f32[0] = x;
  return u32[0]!;
};

/** Round half to even of a non-negative float64 that is exact (scaled f32 values are). */
function roundHalfEven(q: number): number {
  const fl = Math.floor(q);
  const frac = q - fl;
  return frac > 0.5 || (frac === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
}

/** The exponent e with 2^e <= a < 2^(e+1), clamped to [lo, hi] (lo: the subnormal range shares the lowest ulp). */
function binade(a: number, lo: number, hi: number): number {
  if (a < 2 ** lo) return lo;
  let e = Math.min(hi, Math.floor(Math.log2(a)));
  while (e > lo && a < 2 ** e) e--;
  while (e < hi && a >= 2 ** (e + 1)) e++;
  return e;
}

/** Binary16 bits of x by float64 arithmetic: scale by the ulp of its binade, round, rebuild the fields. */
function halfOracle(x: number): number {
  if (Number.isNaN(x)) return (bitsOf(x) >>> 31 ? 0x8000 : 0) | 0x7e00; // ggml's portable NaN
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  const e = binade(a, -14, 15);
  const r = roundHalfEven(a / 2 ** (e - 10)); // in [0, 2048]; 2048 is the next binade, which the sum below encodes
  if (a < 2 ** -14) return sign | r; // subnormal (r = 1024 is the smallest normal, also encoded right)
  return sign | (((e + 15) << 10) + (r - 1024));
}

/** bfloat16 bits of an f32 x by float64 arithmetic (same rule, 8-bit significand, f32's exponent range). */
function brainOracle(x: number): number {
  const w = bitsOf(x);
  if (Number.isNaN(x)) return ((w >>> 16) | 0x40) & 0xffff; // ggml keeps the payload's top bits and forces quiet
  const sign = w >>> 31 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = binade(a, -126, 127);
  const r = roundHalfEven(a / 2 ** (e - 7)) * 2 ** (e - 7);
  if (r >= 2 ** 128) return sign | 0x7f80;
  return sign | (bitsOf(r) >>> 16); // r has at most 8 significant bits, so its f32 is exact and the low half is 0
}

/** Deterministic f32 bit patterns covering every exponent, with and without low mantissa bits. */
function* sampleSingles(n: number): Generator<number> {
  let s = 0x12345678;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield fromBits(s);
  }
}

test('every one of the 65536 halves widens to its IEEE value', () => {
  for (let h = 0; h < 65536; h++) {
    const want = halfValue(h);
    const got = F16_TO_F32[h]!;
    if (Number.isNaN(want)) {
      // NaNs stay NaN with sign and payload, quieted as ggml's widening multiply does.
      assert.equal(bitsOf(got) >>> 0, (((h & 0x8000) << 16) | 0x7fc00000 | ((h & 0x3ff) << 13)) >>> 0, `half 0x${h.toString(16)}`);
    } else {
      assert.ok(Object.is(got, want), `half 0x${h.toString(16)}: ${got} vs ${want}`);
      assert.ok(Object.is(fp16ToFp32(h), want));
    }
  }
});

test('every non-NaN half survives f16 -> f32 -> f16', () => {
  for (let h = 0; h < 65536; h++) if (!Number.isNaN(halfValue(h))) assert.equal(fp32ToFp16(halfValue(h)), h);
});

test('f32 -> f16 rounds to nearest even at every tie, across the subnormal boundary and into overflow', () => {
  const edges = [0, -0, 2 ** -24, 2 ** -25, 2 ** -25 * (1 + 2 ** -23), 3 * 2 ** -25, 2 ** -26, 1023 * 2 ** -24, 2 ** -14,
    2 ** -14 - 2 ** -25, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -23, 65504, 65519.99609375, 65520, 65536,
    3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, Infinity, -Infinity, NaN, -NaN, -65520, -1e-8];
  for (const x of edges) {
    assert.equal(fp32ToFp16(x), halfOracle(Math.fround(x)), `${x}`);
  }
  // The midpoint between every pair of neighbouring halves, and the f32 values just either side of it.
  for (let h = 0; h < 0x7c00; h++) {
    const mid = Math.fround((halfValue(h) + halfValue(h + 1)) / 2);
    for (const x of [mid, fromBits(bitsOf(mid) - 1), fromBits(bitsOf(mid) + 1)]) {
      assert.equal(fp32ToFp16(x), halfOracle(x), `${x} between halves 0x${h.toString(16)} and next`);
      assert.equal(fp32ToFp16(-x), halfOracle(-x), `${-x}`);
    }
  }
  for (const x of sampleSingles(200_000)) assert.equal(fp32ToFp16(x), halfOracle(x), `f32 0x${bitsOf(x).toString(16)}`);
});

test('bf16 <-> f32: widening is exact; narrowing rounds to nearest even, never flushes, keeps NaN quiet', () => {
  for (let h = 0; h < 65536; h++) {
    const e = (h >>> 7) & 0xff;
    const m = h & 0x7f;
    const sign = h & 0x8000 ? -1 : 1;
    if (e === 255) {
      if (m === 0) assert.equal(bf16ToFp32(h), sign * Infinity);
      else assert.ok(Number.isNaN(bf16ToFp32(h)));
      continue;
    }
    const want = e === 0 ? sign * (m / 128) * 2 ** -126 : sign * (1 + m / 128) * 2 ** (e - 127);
    assert.ok(Object.is(bf16ToFp32(h), want), `bf16 0x${h.toString(16)}`);
    assert.equal(fp32ToBf16(want), h);
  }
  const edges = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -23, 3.4028234663852886e38, 1.401298464324817e-45,
    1.1754943508222875e-38, 2 ** -133, 3 * 2 ** -134, Infinity, -Infinity, NaN, -0];
  for (const x of edges) assert.equal(fp32ToBf16(x), brainOracle(Math.fround(x)), `${x}`);
  for (const x of sampleSingles(200_000)) assert.equal(fp32ToBf16(x), brainOracle(x), `f32 0x${bitsOf(x).toString(16)}`);
});

test('F16 and BF16 tensors convert element-wise, NaN payload bits included', () => {
  // Built from bits: a signalling NaN read into a JS number may come back quieted, which would hide the check.
  const values = new Float32Array(new Uint32Array([0, 0x80000000, 0x3f800000, bitsOf(-2.5), bitsOf(65504), bitsOf(70000),
    bitsOf(2 ** -24), bitsOf(2 ** -25), bitsOf(1e-3), 0x7fc00000, 0x7f800000, 0x7f800001, 0xff812345]).buffer);
  const half = quantize(GGMLType.F16, values);
  const back = dequantize(GGMLType.F16, half, values.length);
  values.forEach((x, i) => {
    assert.equal(half[2 * i]! | (half[2 * i + 1]! << 8), halfOracle(x), `F16 #${i}`);
    if (!Number.isNaN(x)) assert.ok(Object.is(back[i], halfValue(halfOracle(x))), `F16 back #${i}`);
  });
  const brain = quantize(GGMLType.BF16, values);
  const wide = new Uint32Array(dequantize(GGMLType.BF16, brain, values.length).buffer);
  const srcBits = new Uint32Array(values.buffer);
  values.forEach((x, i) => {
    assert.equal(brain[2 * i]! | (brain[2 * i + 1]! << 8), brainOracle(x), `BF16 #${i}`);
    assert.equal(wide[i], (brainOracle(x) << 16) >>> 0);
  });
  // Signalling NaNs keep sign and top payload bits and become quiet (bit 6 of the bf16), as ggml's narrowing.
  assert.equal(wide[11]!, 0x7fc00000);
  assert.equal(wide[12]!, 0xffc10000);
  assert.equal(srcBits[12], 0xff812345);
});

/** The F16 model's tensors read as f32, and the same names in a model llama-quantize made from it. */
function forEachDerivedTensor(derivedPath: string, use: (name: string, f32Meaning: Float32Array, derived: Uint8Array, type: GGMLType) => void): number {
  const f16 = GGUFFile.open('../shared/models/llama-tiny-shape-F16.gguf');
  const derived = GGUFFile.open(derivedPath);
  let n = 0;
  try {
    for (const info of f16.tensors) {
      if (info.type !== GGMLType.F16) continue;
      const d = derived.tensor(info.name);
      assert.ok(d, `${derivedPath} has no ${info.name}`);
      use(info.name, dequantize(GGMLType.F16, f16.readTensor(info), info.count), derived.readTensor(d), d.type);
      n++;
    }
  } finally {
    f16.close();
    derived.close();
  }
  return n;
}

test("F16 model: its f32 meaning, quantized, is llama.cpp's Q8_0 model byte for byte", () => {
  // llama-quantize widened each F16 tensor to f32 and quantized that; any widening error would change bytes.
  const n = forEachDerivedTensor('../shared/models/llama-tiny-shape-Q8_0.gguf', (name, x, want, type) => {
    assert.equal(type, GGMLType.Q8_0, name);
    assert.deepEqual(quantize(GGMLType.Q8_0, x), want, name);
  });
  assert.equal(n, 30);
});

test("F16 model: its f32 meaning, quantized, is llama.cpp's Q4_0 model byte for byte", () => {
  let compared = 0;
  forEachDerivedTensor('../shared/models/llama-tiny-shape-Q4_0.gguf', (name, x, want, type) => {
    if (type !== GGMLType.Q4_0) return; // llama-quantize keeps output.weight at Q6_K for Q4_0 models
    assert.deepEqual(quantize(GGMLType.Q4_0, x), want, name);
    compared++;
  });
  assert.equal(compared, 29);
});

test('F16 model: one embedding row read alone has the IEEE values of its halves', () => {
  const f = GGUFFile.open('../shared/models/llama-tiny-shape-F16.gguf');
  try {
    const info = f.tensor('token_embd.weight');
    assert.ok(info && info.type === GGMLType.F16);
    const [cols, rows] = info.dims as [number, number];
    const bytes = f.readTensor(info);
    for (const row of [0, 1, 12345, rows - 1]) {
      const got = dequantizeRow(GGMLType.F16, bytes, row, cols, undefined, info.name);
      for (let c = 0; c < cols; c++) {
        const at = 2 * (row * cols + c);
        assert.ok(Object.is(got[c], halfValue(bytes[at]! | (bytes[at + 1]! << 8))), `row ${row} col ${c}`);
      }
    }
  } finally {
    f.close();
  }
});
