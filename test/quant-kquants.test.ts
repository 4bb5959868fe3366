import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFFile } from '../src/gguf/reader.js';
import type { GGUFTensorInfo } from '../src/gguf/types.js';
import { RealizarError } from '../src/errors.js';
import { GGMLType, typeFromName, typeTraits } from '../src/tensor/ggml-type.js';
import { dequantize, quantize } from '../src/quant/index.js';
import { nearestInt } from '../src/quant/kquant-common.js';
import { bits, fileBits } from './helpers/bits.js';
import { tensorOf, withGGUF } from './helpers/gguf-file.js';

/*
 * The K-quants against llama.cpp itself. ../shared/reference/quant holds an F32 model with awkward rows in every
 * matrix (row 1 zeros, row 2 outliers, row 3 ~1e-6, row 4 all positive), that model quantized by
 * llama-quantize --pure into each type, and gguf-py's dequantization of blk.0.attn_q.weight. The second oracle is
 * llama-tiny-shape-Q4_K_M.gguf: llama.cpp's Q4_K/Q6_K tensors of the F16 model next to it. Q8_K has no file
 * of llama.cpp's (it only quantizes activations): it is checked against float64 arithmetic.
 */
const REF = '../shared/reference/quant';
const KQUANTS = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;

function f32Of(f: GGUFFile, info: GGUFTensorInfo): Float32Array {
  return dequantize(info.type, f.readTensor(info), info.count);
}

function rmse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Indices of the blocks whose bytes differ, with the matrix row each starts in. */
function differingBlocks(ours: Uint8Array, theirs: Uint8Array, type: GGMLType, rowLength: number): string[] {
  const { blockSize, typeSize } = typeTraits(type);
  assert.equal(ours.length, theirs.length);
  const out: string[] = [];
  for (let b = 0; b * typeSize < ours.length; b++) {
    for (let k = 0; k < typeSize; k++) {
      if (ours[b * typeSize + k] !== theirs[b * typeSize + k]) {
        out.push(`block ${b} (row ${Math.floor((b * blockSize) / rowLength)}), byte ${k}`);
        break;
      }
    }
  }
  return out;
}

/** Squared error of dequantized `bytes` against `source`, summed. */
function squaredError(type: GGMLType, bytes: Uint8Array, source: Float32Array): number {
  const back = dequantize(type, bytes, source.length);
  let s = 0;
  for (let i = 0; i < source.length; i++) s += (back[i]! - source[i]!) ** 2;
  return s;
}

interface Comparison {
  blocks: number;
  differing: string[];
  /** Round-trip rmse against the f32 source over all the tensors: ours, and that of llama.cpp's bytes. */
  rmseOurs: number;
  rmseTheirs: number;
}

/** What quantizing a model's tensors gives against llama.cpp's bytes for the same tensors. */
function compareQuantization(quantized: GGUFFile, source: GGUFFile, type: GGMLType, names: readonly string[]): Comparison {
  let blocks = 0;
  let values = 0;
  let errOurs = 0;
  let errTheirs = 0;
  const differing: string[] = [];
  for (const name of names) {
    const theirs = tensorOf(quantized, name);
    assert.equal(theirs.type, type, `${name} in ${quantized.path}`);
    const src = tensorOf(source, name);
    const f32 = f32Of(source, src);
    const ours = quantize(type, f32);
    const theirBytes = quantized.readTensor(theirs);
    blocks += src.count / typeTraits(type).blockSize;
    values += src.count;
    errOurs += squaredError(type, ours, f32);
    errTheirs += squaredError(type, theirBytes, f32);
    for (const d of differingBlocks(ours, theirBytes, type, src.dims[0]!)) differing.push(`${name} ${d}`);
  }
  return { blocks, differing, rmseOurs: Math.sqrt(errOurs / values), rmseTheirs: Math.sqrt(errTheirs / values) };
}

for (const name of KQUANTS) {
  const type = typeFromName(name);

  test(`${name}: dequantizing blk.0.attn_q.weight equals gguf-py bit for bit`, () => {
    const got = withGGUF(`${REF}/quant-${name}.gguf`, (f) => {
      const info = tensorOf(f, 'blk.0.attn_q.weight');
      assert.equal(info.type, type);
      return dequantize(type, f.readTensor(info), info.count);
    });
    const want = fileBits(`${REF}/quant-${name}.attn_q.dequant.f32`);
    assert.equal(got.length, want.length);
    const g = bits(got);
    let differing = 0;
    for (let i = 0; i < want.length; i++) if (g[i] !== want[i]) differing++;
    assert.equal(differing, 0, `${differing} of ${want.length} values differ from gguf-py`);
  });

  test(`${name}: quantizing every matrix of the F32 model gives llama-quantize's bytes`, (t) => {
    withGGUF(`${REF}/quant-src-F32.gguf`, (source) =>
      withGGUF(`${REF}/quant-${name}.gguf`, (quantized) => {
        const names = quantized.tensors.filter((ti) => ti.type === type).map((ti) => ti.name);
        assert.ok(names.includes('token_embd.weight') && names.includes('blk.1.ffn_down.weight'), `--pure model quantizes every matrix to ${name}`);
        const { blocks, differing, rmseOurs, rmseTheirs } = compareQuantization(quantized, source, type, names);
        // No block differs: the float32 emulation reproduces every rounding tie of the C code.
        assert.deepEqual(differing.slice(0, 10), [], `${differing.length} of ${blocks} blocks differ`);
        assert.ok(Math.abs(rmseOurs - rmseTheirs) <= 1e-6, `rmse ${rmseOurs} vs llama.cpp's ${rmseTheirs}`);
        t.diagnostic(`${names.length} tensors, ${blocks} blocks identical; round-trip rmse ${rmseOurs.toExponential(4)}`);
      }),
    );
  });
}

test('awkward rows: zeros stay zero, outliers and all-positive rows keep a small error, tiny values do not blow up', () => {
  const source = withGGUF(`${REF}/quant-src-F32.gguf`, (f) => f32Of(f, tensorOf(f, 'blk.0.attn_q.weight')));
  const row = (a: Float32Array, r: number): Float32Array => a.subarray(r * 256, r * 256 + 256);
  const zero = new Float32Array(256);
  let previous = Infinity;
  for (const name of KQUANTS) {
    const type = typeFromName(name);
    const got = dequantize(type, quantize(type, source), source.length);
    assert.ok(row(got, 1).every((v) => v === 0), `${name}: the zero row does not come back as zeros`);
    const overall = rmse(got, source);
    // More bits, less error: a guard against a quantizer that matches llama.cpp on the data by accident.
    assert.ok(overall < previous, `${name} rmse ${overall} is not below the type with one bit less (${previous})`);
    previous = overall;
    for (const r of [2, 4]) {
      const err = rmse(row(got, r), row(source, r));
      assert.ok(err < 0.25 * rmse(zero, row(source, r)), `${name}: row ${r} rmse ${err}`);
    }
    // Row 3 (~1e-6): the f16 super-block scales underflow to subnormals, so llama.cpp's result (matched byte for
    // byte above) is coarse; it must still stay within twice the row's own magnitude.
    const peak = Math.max(...row(source, 3).map(Math.abs));
    assert.ok(row(got, 3).every((v) => Math.abs(v) <= 2 * peak), `${name}: the 1e-6 row blows up`);
  }
});

test('Q4_K and Q6_K of llama.cpp Q4_K_M from the F16 model: same bytes from the same f16 weights', () => {
  withGGUF('../shared/models/llama-tiny-shape-F16.gguf', (source) =>
    withGGUF('../shared/models/llama-tiny-shape-Q4_K_M.gguf', (quantized) => {
      const q4 = quantized.tensors.filter((ti) => ti.type === GGMLType.Q4_K && ti.name.startsWith('blk.0.')).map((ti) => ti.name);
      const q6 = quantized.tensors.filter((ti) => ti.type === GGMLType.Q6_K && ti.name.startsWith('blk.')).map((ti) => ti.name);
      assert.equal(q4.length, 7, 'blk.0 has 7 Q4_K matrices');
      assert.ok(q6.length >= 2, 'some blk.* matrices are Q6_K');
      for (const [type, names] of [[GGMLType.Q4_K, q4], [GGMLType.Q6_K, q6]] as const) {
        const { blocks, differing } = compareQuantization(quantized, source, type, names);
        assert.deepEqual(differing.slice(0, 10), [], `${differing.length} of ${blocks} blocks differ`);
      }
    }),
  );
});

test("nearestInt is ggml's nearest_int: ties to even, and its mantissa bits beyond 2^22", () => {
  // Oracle: round half to even written with float64 floor.
  const halfEven = (v: number): number => {
    const r = Math.floor(v + 0.5);
    return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  for (const v of [0, 0.49999997, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.4999998, 7.5, -7.5, 126.5, -127.5, 4194302.5, -4194302.5, 4194303]) {
    assert.equal(nearestInt(v), halfEven(v), `nearestInt(${v})`);
  }
  assert.equal(nearestInt(2.5), 2); // Math.round would say 3
  assert.equal(nearestInt(-3.5), -4); // Math.round would say -3
  // 2^23 + 1.5·2^23 = 1.25·2^24 in float: mantissa field 0x200000, minus 0x400000.
  assert.equal(nearestInt(8388608), -2097152);
  // 2^22 (just outside the asserted range) lands on 2^24: mantissa field 0.
  assert.equal(nearestInt(4194304), -4194304);
});

/** Reads a Q8_K block with DataView, independently of src/quant/q8_k.ts. */
function q8kBlock(bytes: Uint8Array, block: number): { d: number; qs: number[]; bsums: number[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset + block * 292, 292);
  return {
    d: v.getFloat32(0, true),
    qs: Array.from({ length: 256 }, (_, i) => v.getInt8(4 + i)),
    bsums: Array.from({ length: 16 }, (_, i) => v.getInt16(260 + 2 * i, true)),
  };
}

/** Deterministic pseudo-random integers in [lo, hi] (LCG). */
function integers(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  });
}

test('Q8_K: values on a power-of-two grid round-trip exactly; d, quants and bsums as float64 arithmetic says', () => {
  const step = 2 ** -9;
  const q = integers(512, -126, 126, 7);
  q[37] = 127; // the max-abs value of block 0, positive: d = 127·step / -127 = -step
  q[256 + 200] = -127; // block 1's max-abs value is negative: d = +step
  const x = new Float32Array(q.map((k) => k * step));
  const bytes = quantize(GGMLType.Q8_K, x);
  assert.equal(bytes.length, 2 * 292);
  for (let b = 0; b < 2; b++) {
    const blk = q8kBlock(bytes, b);
    const sign = b === 0 ? -1 : 1;
    assert.equal(blk.d, sign * step);
    for (let i = 0; i < 256; i++) assert.equal(blk.qs[i], sign * q[256 * b + i]! + 0, `block ${b} quant ${i}`);
    for (let g = 0; g < 16; g++) {
      let sum = 0;
      for (let i = 16 * g; i < 16 * g + 16; i++) sum += blk.qs[i]!;
      assert.equal(blk.bsums[g], sum, `block ${b} bsum ${g}`);
    }
  }
  const back = dequantize(GGMLType.Q8_K, bytes, 512);
  for (let i = 0; i < 512; i++) assert.ok(back[i] === x[i], `value ${i}: ${back[i]} for ${x[i]}`);
});

test('Q8_K: ties round to even, an all-zero block is all zero bytes, and the rounding error is at most d/2', () => {
  const step = 2 ** -4;
  const x = new Float32Array(256 * 3);
  x[0] = -127 * step; // d = step, so x/d = value/step below
  x[1] = 2.5 * step;
  x[2] = 3.5 * step;
  x[3] = -2.5 * step;
  x[4] = -0.5 * step;
  // block 1 stays zero; block 2: irregular values against a float64 oracle.
  const r = integers(256, 0, 1 << 20, 11);
  for (let i = 0; i < 256; i++) x[512 + i] = Math.fround(Math.sin(r[i]!) * 0.37);
  const bytes = quantize(GGMLType.Q8_K, x);
  const b0 = q8kBlock(bytes, 0);
  assert.equal(b0.d, step);
  assert.deepEqual(b0.qs.slice(0, 5), [-127, 2, 4, -2, 0]);
  assert.ok(bytes.subarray(292, 584).every((v) => v === 0), 'the zero block is 292 zero bytes');
  const b2 = q8kBlock(bytes, 2);
  let max = 0;
  for (let i = 512; i < 768; i++) if (Math.abs(x[i]!) > Math.abs(max)) max = x[i]!;
  const d64 = max / -127;
  assert.ok(Math.abs(b2.d - d64) <= Math.abs(d64) * 2 ** -22, `d ${b2.d} vs ${d64}`);
  const back = dequantize(GGMLType.Q8_K, bytes, 768);
  for (let i = 0; i < 256; i++) {
    assert.ok(Math.abs(back[512 + i]! - x[512 + i]!) <= Math.abs(d64) * (0.5 + 1e-5), `value ${i}: ${back[512 + i]} for ${x[512 + i]}`);
  }
});

test('K-quants refuse what has no encoding, with a code and a message naming the limit', () => {
  for (const name of [...KQUANTS, 'Q8_K']) {
    const type = typeFromName(name);
    const bad = new Float32Array(256);
    bad[100] = Number.NaN;
    assert.throws(() => quantize(type, bad), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT' && /NaN/.test(e.message));
    bad[100] = Number.POSITIVE_INFINITY;
    assert.throws(() => quantize(type, bad), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT');
    assert.throws(() => quantize(type, new Float32Array(128)), (e: unknown) => e instanceof RealizarError && /256/.test(e.message));
    const short = new Uint8Array(typeTraits(type).typeSize - 1);
    assert.throws(() => dequantize(type, short, 256), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT');
  }
});

/*
 * Every bit pattern, not only those llama.cpp's quantizer writes: random blocks (with finite f16 scales) read by
 * per-value formulas taken from ggml-common.h's block layouts, computed in float64 and rounded once to f32.
 * In ggml every product of an f16 scale and small integers is exact in f32, so one rounding is what it does too.
 */
const half = (b: Uint8Array, o: number): number => {
  const h = b[o]! | (b[o + 1]! << 8);
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const v = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
  return h & 0x8000 ? -v : v;
};
const int8 = (v: number): number => (v > 127 ? v - 256 : v);
/** get_scale_min_k4 by its bit layout: 6-bit scale and min of sub-block j. */
const k4 = (s: Uint8Array, o: number, j: number): [number, number] =>
  j < 4
    ? [s[o + j]! & 63, s[o + j + 4]! & 63]
    : [(s[o + j + 4]! & 15) | ((s[o + j - 4]! >> 6) << 4), (s[o + j + 4]! >> 4) | ((s[o + j]! >> 6) << 4)];

const VALUE_OF: Record<string, (b: Uint8Array, e: number) => number> = {
  Q2_K: (b, e) => {
    const sc = b[e >> 4]!;
    const q = (b[16 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3;
    return half(b, 80) * (sc & 15) * q - half(b, 82) * (sc >> 4);
  },
  Q3_K: (b, e) => {
    const g = e >> 4;
    const low = g < 8 ? b[96 + g]! & 15 : b[96 + g - 8]! >> 4;
    const scale = (low | (((b[104 + (g % 4)]! >> (2 * (g >> 2))) & 3) << 4)) - 32;
    const q = ((b[32 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3) + 4 * ((b[e & 31]! >> (e >> 5)) & 1) - 4;
    return half(b, 108) * scale * q;
  },
  Q4_K: (b, e) => {
    const j = e >> 5;
    const [sc, m] = k4(b, 4, j);
    const q = (b[16 + 32 * (j >> 1) + (e & 31)]! >> (4 * (j & 1))) & 15;
    return half(b, 0) * sc * q - half(b, 2) * m;
  },
  Q5_K: (b, e) => {
    const j = e >> 5;
    const [sc, m] = k4(b, 4, j);
    const q = ((b[48 + 32 * (j >> 1) + (e & 31)]! >> (4 * (j & 1))) & 15) + 16 * ((b[16 + (e & 31)]! >> j) & 1);
    return half(b, 0) * sc * q - half(b, 2) * m;
  },
  Q6_K: (b, e) => {
    const h = e >> 7;
    const quarter = (e >> 5) & 3;
    const l = e & 31;
    const low = (b[64 * h + l + 32 * (quarter & 1)]! >> (4 * (quarter >> 1))) & 15;
    const high = (b[128 + 32 * h + l]! >> (2 * quarter)) & 3;
    return half(b, 208) * int8(b[192 + (e >> 4)]!) * ((low | (high << 4)) - 32);
  },
  Q8_K: (b, e) => new DataView(b.buffer, b.byteOffset).getFloat32(0, true) * int8(b[4 + e]!),
};

/** Byte offsets of each block's f16 scales. */
const HALF_SCALES_AT: Record<string, number[]> = { Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208], Q8_K: [] };

test('K-quant dequantization of random blocks equals the block layouts computed in float64', () => {
  for (const [name, valueOf] of Object.entries(VALUE_OF)) {
    const type = typeFromName(name);
    const { typeSize } = typeTraits(type);
    const nBlocks = 16;
    const bytes = new Uint8Array(integers(nBlocks * typeSize, 0, 255, typeSize));
    // Keep the scales finite (an f16 exponent of 31 is inf/NaN), and Q8_K's f32 d a plain number.
    for (let b = 0; b < nBlocks; b++) {
      const o = b * typeSize;
      if (name === 'Q8_K') new DataView(bytes.buffer).setFloat32(o, (b - 7.5) / 64, true);
      for (const at of HALF_SCALES_AT[name]!) {
        const hi = o + at + 1; // sign, 5 exponent bits, 2 mantissa bits
        if (((bytes[hi]! >> 2) & 31) === 31) bytes[hi] ^= 0x40;
      }
    }
    const got = dequantize(type, bytes, nBlocks * 256);
    for (let b = 0; b < nBlocks; b++) {
      const block = bytes.subarray(b * typeSize, (b + 1) * typeSize);
      for (let e = 0; e < 256; e++) {
        const want = Math.fround(valueOf(block, e));
        assert.ok(Object.is(got[256 * b + e], want), `${name} block ${b} value ${e}: ${got[256 * b + e]} instead of ${want}`);
      }
    }
  }
});

/*
 * Paths the reference files do not reach, with the bytes of llama.cpp's own code: quantize_row_*_ref of
 * ggml-quants.c at c392e509, compiled as a release build (gcc -O2 -DNDEBUG, x86-64), run on the two blocks below.
 * Block 0: a constant sub-block, exact ties (k/8), f32 subnormals, zeros, then 1e30 and -3e29, so the f16
 * super-block scales overflow to inf and inf·0 gives NaN scales (C's `if (!d)` goes on with a NaN, JS's `!NaN`
 * would not), and nearest_int runs outside its asserted range (release builds skip the assert).
 * Block 1: the same first half, then values around 1e-7 whose scales fall into f16 subnormals.
 */
const CRAFTED_BYTES: Record<string, string> = {
  Q2_K: 'AAAAAAAAAAD/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAfAB8AQH5DwAAAAAAAAAAAAAAAAMDAwMHBwcHCwsLCw8PDw8HBwcLCwsLCwsLDw8PDw8PG32GG3HGLLHbbIYbcYYocdtstRtshhuhxlyx22y2G2x0Ky0r',
  Q3_K: 'kNAg0PAw0HIy0jKS8jLS8qBQ8ABQoADwoFDwoFDwAFAABAQICAwMAAAABAQICAwMDAgICAgICAQEBAQEBAAAAPxglMgsUIT8IFSI/C1UiDzix3h90pu4LpaLfeHXeH3SDQ0MAAAAAACpqaqouCWA0CDA8CDQciLSMoLyItLyoFDwAFCgAPCgUPCgUPAAUAAEBAgIDAwAAAAEBAgIDAwMCAgICAgIBAQEBAQEAAAA/WKXyC1Sh/whVoj9LleLPdKXeC3Si3wu1ot94de4PeINDQwAAAAAAKmpqqi4JQ==',
  Q4_K: 'AHwAfMAAAADAAAAA/wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAERygIwQ/AAAAPwAAAAAAAA8PHx8vLz8/T09fX29vf3+Pj5+fr6+/v8/P39/v7///AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACd81m+FXrBJoziSK0EWbAVe9E3nONIrgRqwCZ70jed8xVqwSaM0kid9FmwFXvBN4zjSK4EarAme9I3neNZrhVq',
  Q5_K: 'AHwAfMAAAADAAAAA/wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQGBAkBD8AAAA/AAAAAAAAMWGRMcGRYcGxYZExQZEhwZNjwzNjkzNDk2PDs2PTM2MPHy8/T19vf4+fr7/P3+//Dx8vP09fb3+Pn6+/z9/v/wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPPizfyvnol4a1ZFNCcSAPPizbyvmol4a1ZFNCcRwPPcb15JOCsVxPfm0cCzoo18b1oJOCsWBPfm0YCznk18a1g==',
  Q6_K: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAgMAAQIDAAECAwABAgMBQMCAQ8ODAsKCAcFBAMBAGDQUMAwsCCgIJAQgPpw4FDOWtE3sxqQLIMPhux4/1XRyEHaYutj/IQNlR6mP7hAydEpswuTHHT+ht5n/0fRKbEAAAAABAQEBAgICAgMDAwMBAQEBAAAAAAAAAAAAAAAANaiCNZ+CqJ+FqJK1q4K1n7IY74UY8kUfskjvsRjvRRj9fUtgAAAAAAAAAAAAAAAALgRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAgMAAQIDAAECAwABAgMBQMCAQ8ODAsKCAcFBAMBAGffWME5siqiK5Mchf127lfOWtE3sxqQLIMPhex4/1XRyEHaYutj/IQNlR6mP7hAydEpswuTHHT+ht5n/0fRKbEAAAAABAQEBAgICAgMDAwMBAQEBAAAAAAAAAAAAAAAANSiCdR+CaN+FKNJ1K4J137IY74UY8kUfskjvsRjvRRj9fUtgAAAAAAAAAAAAAAAALgR',
  Q8_K: '3onL7QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACBAAAAAAAAAAAAJgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAp/8AAAAAAAAAAAAAAAAAAOZyubz19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19SwnIRwWEQsGAPr17+rk39nUzsnDvrizraiinZeSjIeBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUP9Q/ywAqPoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};

function craftedBlocks(): Float32Array {
  const x = new Float32Array(512);
  for (let e = 0; e < 512; e++) {
    const k = e & 255;
    const g = (((k * 37) % 101) - 50) / 64;
    if (k < 128) x[e] = k < 32 ? 0.25 : k < 64 ? (k - 40) / 8 : k < 96 ? 1e-40 * (k - 80) : 0;
    else if (e < 256) x[e] = k === 130 ? 1e30 : k === 140 ? -3e29 : g * 0.01;
    else x[e] = g * 1e-7;
  }
  return x;
}

test('overflowing, NaN and subnormal scales, ties and huge ratios give the bytes of llama.cpp\'s compiled reference', () => {
  const x = craftedBlocks();
  for (const [name, base64] of Object.entries(CRAFTED_BYTES)) {
    const want = Buffer.from(base64, 'base64');
    const got = quantize(typeFromName(name), x);
    assert.equal(got.length, want.length, name);
    assert.deepEqual(differingBlocks(got, want, typeFromName(name), 256), [], name);
  }
});
