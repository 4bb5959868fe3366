import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { JsBackend } from '../src/backend/js/backend.js';
import { WasmBackend } from '../src/backend/wasm/backend.js';
import { loadModel } from '../src/model/load.js';
import { dequantize, quantize } from '../src/quant/index.js';
import { fp16ToFp32, writeHalf } from '../src/quant/f16.js';
import { GGMLType, byteSizeOf, typeName } from '../src/tensor/ggml-type.js';
import { BIN } from './cli-harness.js';
import { SIMD_LEVELS, fill, float64Product, quantizedActivations, random, withBackend } from './wasm-helpers.js';

// Edge cases of the Q2_K / Q3_K kernels and of Q8_0 on the relaxed int8 dot that llama.cpp's own quantizer
// output (wasm-matmul.test.ts) does not reach: every bit pattern of the packed fields, a -128 Q8_0 weight,
// activations at ±127.

function assertClose(got: Float32Array, want: Float64Array, mag: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const bound = 2e-6 * mag[i]! + 1e-6;
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) assert.fail(`${what}: output ${i} is ${got[i]}, expected ${want[i]} (bound ${bound})`);
  }
}

/** Activations whose blocks quantize to ±127 in places: a block's largest value is exactly ±amax. */
function activations(n: number, cols: number, rnd: () => number): Float32Array {
  const x = fill(new Float32Array(n * cols), rnd, 2);
  for (let b = 0; b < x.length; b += 32) x[b + 5] = b % 64 === 0 ? 2 : -2;
  return x;
}

/** Random bytes for every packed field, with f16 scales set to sane values (so no Inf/NaN hides a wrong lane). */
function randomBlocks(type: GGMLType, rows: number, cols: number, rnd: () => number): Uint8Array {
  const bytes = new Uint8Array(byteSizeOf(type, rows * cols));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor((rnd() + 1) * 128) & 255;
  const blockBytes = type === GGMLType.Q2_K ? 84 : 110;
  const halves = type === GGMLType.Q2_K ? [80, 82] : [108];
  for (let o = 0; o < bytes.length; o += blockBytes) for (const h of halves) writeHalf(bytes, o + h, rnd() * 0.05);
  // Extremes in the first block of row 0: all-max scales and mins, all-max values (Q3_K: scale 63 → +31, high bits set).
  bytes.fill(255, 0, blockBytes - 2 * halves.length);
  // And in the first block of row 1: zero scales (Q3_K: −32) and zero values.
  const row1 = byteSizeOf(type, cols);
  bytes.fill(0, row1, row1 + blockBytes - 2 * halves.length);
  return bytes;
}

for (const simd of SIMD_LEVELS) {
  test(`${simd}: Q2_K and Q3_K on random bit patterns and extreme scales equal float64 products (1- and 4-row forms, 1-3 threads)`, () => {
    const rnd = random(29);
    for (const type of [GGMLType.Q2_K, GGMLType.Q3_K]) {
      for (const { rows, cols, n, threads } of [
        { rows: 9, cols: 768, n: 1, threads: 1 },
        { rows: 13, cols: 512, n: 4, threads: 2 },
        { rows: 6, cols: 256, n: 7, threads: 3 },
        { rows: 12, cols: 512, n: 9, threads: 2 },
      ]) {
        const bytes = randomBlocks(type, rows, cols, rnd);
        const w = dequantize(type, bytes, rows * cols);
        withBackend(threads, simd, (b) => {
          const x = activations(n, cols, rnd);
          const out = new Float32Array(n * rows);
          b.matmul(out, b.matrix(type, rows, cols, bytes), x, n);
          const { y, mag } = float64Product(w, rows, cols, quantizedActivations(x), n);
          assertClose(out, y, mag, `${simd} ${typeName(type)} ${rows}x${cols} n=${n} threads=${threads}`);
        });
      }
    }
  });

  // 11 rows: the row kernel, on blocks with and without −128; 12 rows: interleaved by the relaxed build unless a −128 is present.
  for (const { rows, minus128 } of [{ rows: 11, minus128: true }, { rows: 12, minus128: true }, { rows: 12, minus128: false }])
  test(`${simd}: Q8_0 is exact for weights at ${minus128 ? '-128, ' : ''}-127, 0 and 127 against activations at ±127 (${rows} rows)`, () => {
    const rnd = random(31);
    const cols = 128;
    const bytes = new Uint8Array(byteSizeOf(GGMLType.Q8_0, rows * cols));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor((rnd() + 1) * 128) & 255;
    const w = new Float64Array(rows * cols);
    for (let blk = 0; blk < (rows * cols) / 32; blk++) {
      const o = blk * 34;
      writeHalf(bytes, o, 0.01 + Math.abs(rnd()) * 0.02);
      // Every third block holds no -128 (the fast relaxed path), the others one or more (the exact fallback).
      if (blk % 3 === 0 || !minus128) for (let i = 0; i < 32; i++) if (bytes[o + 2 + i] === 128) bytes[o + 2 + i] = 129;
      if (blk % 3 === 1 && minus128) bytes[o + 2 + (blk % 32)] = 128;
      if (blk % 3 === 2 && minus128) bytes.fill(128, o + 2, o + 34);
      if (blk % 6 === 3) bytes.set([127, 129, 0, 127, 129], o + 2);
      const d = fp16ToFp32(bytes[o]! | (bytes[o + 1]! << 8));
      for (let i = 0; i < 32; i++) w[blk * 32 + i] = d * ((bytes[o + 2 + i]! << 24) >> 24);
    }
    for (const { n, threads } of [{ n: 1, threads: 1 }, { n: 4, threads: 2 }, { n: 6, threads: 3 }]) {
      withBackend(threads, simd, (b) => {
        const x = activations(n, cols, rnd);
        const out = new Float32Array(n * rows);
        b.matmul(out, b.matrix(GGMLType.Q8_0, rows, cols, bytes), x, n);
        const { y, mag } = float64Product(w, rows, cols, quantizedActivations(x), n);
        assertClose(out, y, mag, `${simd} Q8_0 n=${n} threads=${threads}`);
      });
    }
  });
}

test("llama.cpp's Q8_0 quantizer never writes -128 (|x|·127/amax rounds to at most 127), so valid files stay on the fast path", () => {
  const rnd = random(37);
  const x = fill(new Float32Array(32 * 4096), rnd);
  // Blocks whose extreme is negative, exactly a power of two, tiny, or shared by several lanes.
  for (let b = 0; b < x.length; b += 32) {
    const kind = (b / 32) % 4;
    if (kind === 0) x[b + 7] = -1.5;
    if (kind === 1) x.fill(-(2 ** -((b / 32) % 20)), b, b + 32);
    if (kind === 2) x[b] = -1e-30;
    if (kind === 3) for (let i = b; i < b + 32; i += 4) x[i] = -Math.fround(0.7 + i * 1e-7);
  }
  const bytes = quantize(GGMLType.Q8_0, x);
  for (let o = 0; o < bytes.length; o += 34) {
    for (let i = o + 2; i < o + 34; i++) assert.notEqual(bytes[i], 128, `block ${o / 34} holds -128`);
  }
  assert.ok(bytes.some((v, i) => i % 34 >= 2 && v === 129), 'some weight reaches -127');
});

test('running out of wasm memory names what does not fit and what to do', () => {
  withBackend(1, 'simd128', (b) => {
    // Weights: 40000 × 32768 F32 = 4.88 GiB.
    assert.throws(() => b.matrixInPlace(GGMLType.F32, 40000, 32768, () => assert.fail('nothing is filled once the allocation fails')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'UNSUPPORTED');
      assert.match(e.message, /F32 matrix 40000x32768 \(4\.88 GiB\).*the model's weights \(4\.88 GiB so far\) do not fit; use a smaller quantization/);
      assert.doesNotMatch(e.message, /--ctx/);
      return true;
    });
    b.matrix(GGMLType.F32, 1024, 1024, new Uint8Array(4 * 2 ** 20)); // 4 MiB of weights, named in the next message
    // A KV cache: 2^30 + 2^20 f32 values = 4.00 GiB.
    assert.throws(() => b.alloc(2 ** 30 + 2 ** 20), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'UNSUPPORTED');
      assert.match(e.message, /the KV cache and activations do not fit beside the model's weights \(0\.00 GiB\); lower --ctx .* or use a smaller quantization/);
      return true;
    });
  });
});

for (const type of ['Q2_K', 'Q3_K']) {
  test(`realizar run on llama.cpp's quant-${type}.gguf works on the default (wasm) backend`, () => {
    const r = spawnSync(process.execPath, [BIN, 'run', `../shared/reference/quant/quant-${type}.gguf`, '-p', 'hi', '-n', '6', '--temp', '0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hi/);
    assert.match(r.stderr, /generation: 6 tokens/);
  });
}

for (const type of ['Q2_K', 'Q3_K']) {
  test(`quant-${type}.gguf (every matrix ${type}) gives the JS reference backend's logits on the wasm backend, within activation rounding`, async () => {
    const path = `../shared/reference/quant/quant-${type}.gguf`;
    const wasm = await loadModel(path, { backend: new WasmBackend({ threads: 2 }) });
    const js = await loadModel(path, { backend: new JsBackend() });
    try {
      const ids = [1, 100, 200, 300, 400];
      const got = wasm.forward(ids, { allPositions: true });
      const want = js.forward(ids, { allPositions: true });
      assert.equal(got.length, want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      // The wasm kernels round activations to int8 per 32 values, which this random model amplifies: every
      // type already on the wasm backend differs by up to 0.2 here (Q6_K, Q8_0), Q2_K by 0.05, Q3_K by 0.17,
      // on logits of about 1-3. A misread field moves them by far more.
      assert.ok(worst < 0.3, `${type}: logits differ by up to ${worst}`);
    } finally {
      wasm.dispose();
      js.dispose();
    }
  });
}
