import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JsBackend } from '../src/backend/js/backend.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { dequantize, quantize } from '../src/quant/index.js';
import { GGMLType, byteSizeOf, typeName } from '../src/tensor/ggml-type.js';
import { SIMD_LEVELS, fill, float64Product, quantizedActivations, random, relaxedAvailable, withBackend } from './wasm-helpers.js';

const QUANT_DIR = '../shared/reference/quant';
const QUANTIZED = [GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q8_0, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K];

/** blk.0.attn_q.weight (256×256) of llama.cpp's quant-T.gguf: its bytes, and gguf-py's dequantization of them. */
function referenceMatrix(type: GGMLType): { bytes: Uint8Array; values: Float32Array } {
  const name = typeName(type);
  const file = GGUFFile.open(`${QUANT_DIR}/quant-${name}.gguf`);
  try {
    const info = file.tensor('blk.0.attn_q.weight');
    assert.ok(info, `quant-${name}.gguf has blk.0.attn_q.weight`);
    assert.equal(info.type, type);
    const bytes = file.readTensor(info).slice();
    const raw = readFileSync(`${QUANT_DIR}/quant-${name}.attn_q.dequant.f32`);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    assert.equal(values.length, 256 * 256);
    return { bytes, values };
  } finally {
    file.close();
  }
}


/** Every output within `rel` of the sum of |products| (f32 accumulation of int8 dots scaled in f32). */
function assertClose(got: Float32Array, want: Float64Array, mag: Float64Array, rel: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= rel * mag[i]! + 1e-6)) assert.fail(`${what}: output ${i} is ${got[i]}, expected ${want[i]} (error ${err}, bound ${rel * mag[i]! + 1e-6})`);
  }
}

test('relaxed SIMD is detected on this runtime (Node 20 behind its flag, newer Node by default)', () => {
  assert.equal(relaxedAvailable(), true);
});

// Row counts not a multiple of the thread count, batch sizes around the 4-row tile and the 64-row pass.
const SHAPES: ReadonlyArray<{ rows: number; n: number; threads: number }> = [
  { rows: 256, n: 1, threads: 2 },
  { rows: 37, n: 3, threads: 2 },
  { rows: 255, n: 5, threads: 3 },
  { rows: 101, n: 70, threads: 2 },
  { rows: 7, n: 4, threads: 1 },
  // Multiples of 4 rows: interleaved in the relaxed build (groups of 4 rows shared among threads).
  { rows: 12, n: 9, threads: 2 },
  { rows: 100, n: 70, threads: 3 },
  // 300 × 256 activations: quantized by the pool's threads (past the parallel threshold), not a multiple of 3 blocks each.
  { rows: 12, n: 300, threads: 3 },
];

for (const simd of SIMD_LEVELS) {
  test(`${simd}: quantized products equal float64 products of gguf-py's dequantized llama.cpp weights with the int8 activations`, () => {
    const rnd = random(7);
    withBackend(3, simd, () => undefined); // the pool starts and stops cleanly with more threads than rows below
    for (const type of QUANTIZED) {
      const ref = referenceMatrix(type);
      const rowBytes = byteSizeOf(type, 256);
      for (const { rows, n, threads } of SHAPES) {
        withBackend(threads, simd, (b) => {
          const m = b.matrix(type, rows, 256, ref.bytes.subarray(0, rows * rowBytes));
          const x = fill(b.alloc(n * 256), rnd, 3);
          const out = b.alloc(n * rows);
          b.matmul(out, m, x, n);
          const { y, mag } = float64Product(ref.values, rows, 256, quantizedActivations(x), n);
          // 3e-6 of Σ|products|: f32 roundings of block sums, scaled and accumulated over 8 blocks; the thousands
          // of outputs of the larger shapes brush against at 2e-6.
          assertClose(out, y, mag, 3e-6, `${simd} ${typeName(type)} ${rows}x256 n=${n} threads=${threads}`);
        });
      }
    }
  });

  test(`${simd}: F32 and F16 products equal float64 products (activations unrounded)`, () => {
    const rnd = random(11);
    for (const type of [GGMLType.F32, GGMLType.F16]) {
      // 67 columns: not a multiple of the 4-lane vectors, so the scalar tail runs too.
      for (const { rows, n, threads, cols } of [
        { rows: 33, n: 1, threads: 2, cols: 67 },
        { rows: 50, n: 9, threads: 3, cols: 256 },
      ]) {
        const wf = fill(new Float32Array(rows * cols), rnd);
        const bytes = type === GGMLType.F32 ? new Uint8Array(wf.buffer) : quantize(GGMLType.F16, wf);
        const values = dequantize(type, bytes, rows * cols);
        withBackend(threads, simd, (b) => {
          const m = b.matrix(type, rows, cols, bytes);
          const x = fill(b.alloc(n * cols), rnd);
          const out = b.alloc(n * rows);
          b.matmul(out, m, x, n);
          const { y, mag } = float64Product(values, rows, cols, Float64Array.from(x), n);
          assertClose(out, y, mag, 2e-6, `${simd} ${typeName(type)} ${rows}x${cols} n=${n}`);
        });
      }
    }
  });

  test(`${simd}: every type agrees with the JS reference backend within the activation rounding bound`, () => {
    const rnd = random(3);
    const js = new JsBackend();
    withBackend(2, simd, (b) => {
      for (const type of QUANTIZED) {
        const rows = 19;
        const cols = 512;
        const n = 6;
        const bytes = quantize(type, fill(new Float32Array(rows * cols), rnd));
        const m = b.matrix(type, rows, cols, bytes);
        const x = fill(new Float32Array(n * cols), rnd, 2); // not from alloc(): staged by the backend
        const out = new Float32Array(n * rows);
        b.matmul(out, m, x, n);
        const want = new Float32Array(n * rows);
        js.matmul(want, js.matrix(type, rows, cols, bytes), x, n);
        // Rounding an activation moves it by at most d/2 = amax/254 of its block: bound Σ|w|·amax/254.
        const w = dequantize(type, bytes, rows * cols);
        for (let t = 0; t < n; t++) {
          for (let r = 0; r < rows; r++) {
            let bound = 1e-4;
            for (let blk = 0; blk < cols; blk += 32) {
              let amax = 0;
              let wsum = 0;
              for (let k = blk; k < blk + 32; k++) {
                amax = Math.max(amax, Math.abs(x[t * cols + k]!));
                wsum += Math.abs(w[r * cols + k]!);
              }
              bound += (wsum * amax) / 254;
            }
            const err = Math.abs(out[t * rows + r]! - want[t * rows + r]!);
            assert.ok(err <= bound, `${simd} ${typeName(type)} row ${r} token ${t}: ${out[t * rows + r]} vs ${want[t * rows + r]}, bound ${bound}`);
          }
        }
      }
    });
  });
}

test('matmul checks its arguments: type, byte size, buffer lengths, foreign matrices', () => {
  withBackend(2, 'simd128', (b) => {
    assert.throws(() => b.matrix(GGMLType.IQ4_XS, 4, 256, new Uint8Array(4 * 136)), { code: 'UNSUPPORTED' });
    assert.throws(() => b.matrix(GGMLType.Q4_0, 4, 64, new Uint8Array(10)), { code: 'BAD_ARGUMENT' });
    assert.throws(() => b.matrix(GGMLType.Q4_0, 4, 40, new Uint8Array(100)), { code: 'BAD_FILE' });
    const m = b.matrix(GGMLType.Q8_0, 4, 64, new Uint8Array(4 * 68));
    assert.throws(() => b.matmul(b.alloc(4), m, b.alloc(64), 2), { code: 'BAD_ARGUMENT' });
    assert.throws(() => b.matmul(b.alloc(8), m, b.alloc(100), 2), { code: 'BAD_ARGUMENT' });
    assert.throws(() => b.matmul(b.alloc(4), { type: GGMLType.Q8_0, rows: 4, cols: 64 }, b.alloc(64), 1), { code: 'BAD_ARGUMENT' });
  });
});

test('a model larger than one wasm memory is refused with the sizes, before anything is read', () => {
  withBackend(1, 'simd128', (b) => {
    // 40000 × 32768 F32 = 5 GiB.
    assert.throws(() => b.matrixInPlace(GGMLType.F32, 40000, 32768, () => assert.fail('nothing is filled once the allocation fails')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'UNSUPPORTED');
      assert.match(e.message, /4\.88 GiB.*4 GiB/);
      return true;
    });
  });
});
