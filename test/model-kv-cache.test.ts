import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend, KvType } from '../src/backend/backend.js';
import { JsBackend } from '../src/backend/js/backend.js';
import { WasmBackend } from '../src/backend/wasm/backend.js';
import { Llama } from '../src/model/llama.js';
import { loadModel } from '../src/model/load.js';
import { MAX_BATCH, Sequence } from '../src/model/sequence.js';
import { loadLlama, ourLogits, reference } from './model-oracle.js';

// Values and what IEEE binary16 holds for them (round to nearest, ties to even), worked out by hand from the
// format: 10 fraction bits, largest finite 65504, smallest subnormal 2^-24.
const F16_CASES: ReadonlyArray<readonly [number, number]> = [
  [1 / 3, 0.333251953125], // 0x3555
  [1 + 2 ** -11, 1], // a tie: to the even fraction 0
  [1 + 3 * 2 ** -11, 1 + 2 ** -9], // a tie: to the even fraction 2
  [65519, 65504], // just under the halfway point to 65536
  [2 ** -24, 2 ** -24],
  [-2.5, -2.5],
  [0.1, 0.0999755859375], // 0x2E66
  [1e-9, 0], // under half the smallest subnormal
];

function backends(): Array<[string, Backend]> {
  return [
    ['js', new JsBackend()],
    ['wasm', new WasmBackend({ threads: 2 })],
  ];
}

for (const [name, backend] of backends()) {
  test(`${name} backend: a KV cache holds its rows as its type does (f32 exactly, f16 rounded), and refuses rows past its capacity`, () => {
    try {
      const headDim = F16_CASES.length;
      // Row 2 holds the cases under a key the query matches by 1000; rows 0 and 1 (zero keys, other values) then
      // get attention weights of exp(-1000) = 0, so the output is row 2 as the cache holds it.
      const v = backend.alloc(headDim);
      v.set(F16_CASES.map(([x]) => x));
      const other = backend.alloc(headDim).fill(5);
      const zero = backend.alloc(headDim);
      const k = backend.alloc(headDim);
      k[0] = 1000;
      const q = backend.alloc(headDim);
      q[0] = 1;
      const out = backend.alloc(headDim);
      for (const type of ['f32', 'f16'] as const) {
        const cache = backend.kvCache(type, 4, 1, headDim);
        assert.equal(cache.type, type);
        assert.equal(cache.capacity, 4);
        cache.store(zero, other, 0, 1);
        cache.store(zero, other, 1, 1);
        cache.store(k, v, 2, 1);
        cache.attend(out, q, 1, 2, 1, 1);
        const want = F16_CASES.map(([x, h]) => (type === 'f16' ? h : Math.fround(x)));
        assert.deepEqual([...out], want, `${type} cache row`);
        assert.throws(() => cache.store(k, v, 4, 1), { code: 'BAD_ARGUMENT', message: /KV cache rows 4\.\.4 are outside its 4 positions/ });
        assert.throws(() => cache.attend(out, q, 2, 3, 1, 1), { code: 'BAD_ARGUMENT' });
        cache.free();
      }
    } finally {
      backend.dispose();
    }
  });
}

test('wasm backend: a sequence holds f16 caches in half the memory of f32 ones, exactly 2 × layers × positions × kvDim values', () => {
  const backend = new WasmBackend({ threads: 2 });
  try {
    const llama = loadLlama('stories260K', backend);
    const c = llama.config;
    const values = 2 * c.blockCount * 256 * c.headCountKv * c.headDim;
    const grown = (type: KvType): number => {
      const before = backend.memoryBytes;
      const seq = new Sequence(backend, c, 256, type);
      const bytes = backend.memoryBytes - before;
      seq.dispose();
      return bytes;
    };
    assert.equal(grown('f16'), values * 2);
    assert.equal(grown('f32'), values * 4);
    assert.equal(llama.kvType, 'f16', 'the wasm default');
    assert.equal(loadLlama('stories260K', new JsBackend()).kvType, 'f32', 'the js default');
  } finally {
    backend.dispose();
  }
});

/** max over positions of max |a - b| over the vocabulary, divided by the range of a's logits there. */
function worstRelative(a: Float32Array, b: Float32Array, vocab: number): number {
  let worst = 0;
  for (let r = 0; r < a.length / vocab; r++) {
    const row = a.subarray(r * vocab, (r + 1) * vocab);
    let lo = Infinity;
    let hi = -Infinity;
    let diff = 0;
    row.forEach((x, i) => {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      diff = Math.max(diff, Math.abs(x - b[r * vocab + i]!));
    });
    worst = Math.max(worst, diff / (hi - lo));
  }
  return worst;
}

// An f16 cache moves each key and value by at most 2^-11 of itself; through attention that stays a few such
// steps of the logits' range (measured worst: 5.2e-4 on stories260K, 2.6e-5 on llama-2-tiny-random). Bound: 2^-9.
const F16_KV_BOUND = 2 ** -9;

for (const name of ['stories260K', 'llama-2-tiny-random']) {
  test(`js backend: ${name} logits with an f16 KV cache are within 2^-9 of the range of the exact f32 ones, prompt and decode paths alike`, () => {
    const exact = loadLlama(name, new JsBackend());
    const half = new Llama(exact.config, exact.weights, exact.backend, 'f16');
    const vocab = exact.config.vocabSize;
    let worst = 0;
    for (const p of [0, 1, 2]) {
      const ids = reference(name, p).prompt_ids;
      const want = ourLogits(exact, ids, 'batched');
      const batched = ourLogits(half, ids, 'batched');
      const incremental = ourLogits(half, ids, 'incremental');
      worst = Math.max(worst, worstRelative(want, batched, vocab));
      // The same values go into the cache whether the prompt comes in one slice or one token at a time.
      assert.ok(worstRelative(batched, incremental, vocab) <= 1e-6, `${name} prompt ${p}: f16 batched vs incremental`);
    }
    assert.ok(worst <= F16_KV_BOUND, `${name}: f16 KV logits differ from f32 by ${worst} of the range`);
    // A bound the f16 path could not fail would prove nothing: it must differ from f32 at all.
    assert.ok(worst > 0, `${name}: f16 KV logits equal the f32 ones exactly`);
  });
}

test('a sequence sizes scratch for the slice at hand and gives a prompt\'s back at the first decoded token', () => {
  const llama = loadLlama('stories260K', new JsBackend());
  const seq = llama.newSequence(600);
  assert.equal(seq.maxBatch, MAX_BATCH);
  const prompt = seq.scratchFor(100);
  assert.equal(prompt.batch, 100);
  assert.equal(prompt.x.length, 100 * llama.config.embeddingLength);
  const decode = seq.scratchFor(1);
  assert.equal(decode.batch, 1);
  assert.equal(decode.logits.length, llama.config.vocabSize);
  assert.equal(seq.scratchFor(1), decode, 'reused while decoding');
  assert.equal(seq.scratchFor(2).batch, 2);
  assert.equal(llama.newSequence(10).maxBatch, 10);
  seq.dispose();
});

test('loadModel refuses a KV cache type other than f16 or f32, naming the option', async () => {
  await assert.rejects(loadModel('../shared/models/stories260K.gguf', { backend: 'js', kvType: 'q8_0' as KvType }), {
    code: 'BAD_ARGUMENT',
    message: "kvType (--kv-type) must be f16 or f32, got 'q8_0'",
  });
  const model = await loadModel('../shared/models/stories260K.gguf', { backend: 'js', kvType: 'f16' });
  try {
    const f16 = model.forward([1, 403, 407]);
    const exact = await loadModel('../shared/models/stories260K.gguf', { backend: 'js' });
    const f32 = exact.forward([1, 403, 407]);
    exact.dispose();
    assert.ok(f16.some((x, i) => x !== f32[i]), 'kvType reaches the model');
  } finally {
    model.dispose();
  }
});
