import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealizarError } from '../src/errors.js';
import { GGMLType, typeFromName, typeName } from '../src/tensor/ggml-type.js';
import { dequantize, dequantizeRow, quantFormat, quantize } from '../src/quant/index.js';
import { bits, fileBits } from './helpers/bits.js';
import { tensorOf, withGGUF } from './helpers/gguf-file.js';

/*
 * The 32-element block quants against llama.cpp itself: ../shared/reference/quant holds one F32 model, the same
 * model quantized by llama-quantize --pure into each type, and gguf-py's dequantization of blk.0.attn_q.weight.
 */
const REF = '../shared/reference/quant';
const LEGACY = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0'] as const;

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const sourceF32 = (name: string): Float32Array =>
  withGGUF(`${REF}/quant-src-F32.gguf`, (f) => {
    const info = tensorOf(f, name);
    assert.equal(info.type, GGMLType.F32);
    return dequantize(GGMLType.F32, f.readTensor(info), info.count);
  });

test('F32 passthrough equals gguf-py on blk.0.attn_q.weight of the source model', () => {
  const got = sourceF32('blk.0.attn_q.weight');
  assert.equal(firstDifference(bits(got), fileBits(`${REF}/quant-src-F32.attn_q.dequant.f32`)), -1);
});

for (const name of LEGACY) {
  const type = typeFromName(name);

  test(`${name}: dequantizing blk.0.attn_q.weight equals gguf-py bit for bit`, () => {
    const want = fileBits(`${REF}/quant-${name}.attn_q.dequant.f32`);
    withGGUF(`${REF}/quant-${name}.gguf`, (f) => {
      const info = tensorOf(f, 'blk.0.attn_q.weight');
      assert.equal(info.type, type);
      const bytes = f.readTensor(info);
      const got = dequantize(type, bytes, info.count, undefined, info.name);
      const at = firstDifference(bits(got), want);
      assert.equal(at, -1, `first difference at value ${at}: ${got[at]} vs gguf-py`);

      // A single row, as an embedding lookup reads it, is the same slice of the reference.
      const [cols, rows] = info.dims as [number, number];
      for (const row of [0, 1, 2, 3, rows - 1]) {
        const one = dequantizeRow(type, bytes, row, cols, undefined, info.name);
        assert.equal(firstDifference(bits(one), want.subarray(row * cols, (row + 1) * cols)), -1, `row ${row}`);
      }
      assert.throws(() => dequantizeRow(type, bytes, rows, cols, undefined, info.name), (e: unknown) =>
        e instanceof RealizarError && e.code === 'BAD_ARGUMENT' && e.message.includes(info.name) && e.message.includes(`${rows} rows`));
    });
  });

  test(`${name}: quantizing every F32 source tensor gives llama-quantize's bytes exactly`, () => {
    withGGUF(`${REF}/quant-${name}.gguf`, (f) => {
      const quantized = f.tensors.filter((t) => t.type === type);
      assert.equal(quantized.length, 16, `${name}: every matrix (2 layers x 7, token_embd, output) is ${name}`);
      for (const info of quantized) {
        const want = f.readTensor(info);
        const got = quantize(type, sourceF32(info.name));
        const at = firstDifference(got, want);
        assert.equal(at, -1, `${info.name}: first byte difference at ${at} (block ${Math.floor(at / (want.length / (info.count / 32)))})`);
      }
    });
  });
}

test('Q8_0 rounds halfway quants away from zero, as roundf', () => {
  // amax 127 makes d = 1 exactly, so x*id is x itself and +-k.5 are genuine ties.
  const x = new Float32Array(32);
  x.set([127, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5]);
  const q = new Int8Array(quantize(GGMLType.Q8_0, x).buffer, 2, 32);
  assert.deepEqual([...q.subarray(0, 8)], [127, 3, -3, 1, -1, 2, -2, 127]);
});

test('Q4_0 takes the scale from the signed largest-magnitude value, which lands on quant 0', () => {
  // max = -8 gives d = 1 (stored as f16 0x3c00); q = trunc(x + 8.5), capped at 15: ties round up.
  const x = new Float32Array(32);
  x.set([-8, 7, 0.5, -0.5, 1.5, -1.5, 6.9]);
  const block = quantize(GGMLType.Q4_0, x);
  assert.equal(block[0]! | (block[1]! << 8), 0x3c00);
  const low = [...block.subarray(2, 9)].map((b) => b & 0x0f);
  assert.deepEqual(low, [0, 15, 9, 8, 10, 7, 15]);
  // With the largest magnitude positive, d is negative and the same value still maps to 0.
  const flipped = quantize(GGMLType.Q4_0, x.map((v) => -v));
  assert.equal(flipped[0]! | (flipped[1]! << 8), 0xbc00);
  assert.equal(flipped[2]! & 0x0f, 0);
});

test('an all-zero block quantizes to zero scale and dequantizes to zeros in every type', () => {
  for (const name of LEGACY) {
    const type = typeFromName(name);
    const back = dequantize(type, quantize(type, new Float32Array(64)), 64);
    assert.ok(back.every((v) => v === 0), name);
  }
});

test('unsupported tensor types fail with UNSUPPORTED naming the type and the tensor', () => {
  const unsupported = [GGMLType.IQ2_XXS, GGMLType.IQ2_XS, GGMLType.IQ3_XXS, GGMLType.IQ1_S, GGMLType.IQ4_NL, GGMLType.IQ3_S,
    GGMLType.IQ2_S, GGMLType.IQ4_XS, GGMLType.IQ1_M, GGMLType.TQ1_0, GGMLType.TQ2_0, GGMLType.MXFP4];
  for (const type of unsupported) {
    const isUnsupported = (e: unknown) =>
      e instanceof RealizarError && e.code === 'UNSUPPORTED' && e.message.includes(typeName(type)) && e.message.includes("'blk.3.ffn_up.weight'");
    assert.throws(() => quantFormat(type, 'blk.3.ffn_up.weight'), isUnsupported);
    assert.throws(() => dequantize(type, new Uint8Array(1024), 256, undefined, 'blk.3.ffn_up.weight'), isUnsupported);
  }
});

test('bad arguments fail with BAD_ARGUMENT instead of reading or writing out of bounds', () => {
  const isBadArgument = (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT';
  assert.throws(() => dequantize(GGMLType.Q4_0, new Uint8Array(17), 32), isBadArgument);
  assert.throws(() => dequantize(GGMLType.Q8_0, new Uint8Array(68), 64, new Float32Array(32)), isBadArgument);
  assert.throws(() => quantize(GGMLType.Q5_1, new Float32Array(48)), isBadArgument);
  assert.throws(() => quantize(GGMLType.Q8_0, new Float32Array(32), 64), isBadArgument);
  for (const bad of [NaN, Infinity, -Infinity]) {
    const x = new Float32Array(32);
    x[5] = bad;
    assert.throws(() => quantize(GGMLType.Q4_1, x, 32, 'blk.0.ffn_up.weight'), (e: unknown) =>
      isBadArgument(e) && (e as Error).message.includes("#5 of tensor 'blk.0.ffn_up.weight'"));
  }
  assert.throws(() => dequantizeRow(GGMLType.Q8_0, new Uint8Array(34 * 4), -1, 32), isBadArgument);
  assert.throws(() => dequantizeRow(GGMLType.Q8_0, new Uint8Array(34 * 4), 1.5, 32), isBadArgument);
});
