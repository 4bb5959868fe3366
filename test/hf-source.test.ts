import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openHFSource } from '../src/hf/source.js';
import { quantizedSource } from '../src/convert/quantized-source.js';
import { loadModel } from '../src/model/load.js';
import { GGUFSource } from '../src/model/gguf-source.js';
import { loadLlamaWeights } from '../src/model/llama-weights.js';
import { Llama } from '../src/model/llama.js';
import { JsBackend } from '../src/backend/js/backend.js';
import type { ModelSource } from '../src/model/source.js';
import { GGMLType, typeName } from '../src/tensor/ggml-type.js';

const HF = '../shared/hf/llama-tiny-hf';
const REF = '../shared/reference/logits/llama-tiny-shape-F16.0';

interface Reference {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  max_abs_batched_vs_incremental: number;
}

function logitsOf(source: ModelSource, ids: readonly number[]): Float32Array {
  const backend = new JsBackend({ activations: 'llama.cpp' });
  const model = new Llama(source.config, loadLlamaWeights(source, backend), backend);
  return model.forward(model.newSequence(ids.length), ids, 'all');
}

test('the folder as a model source: GGUF names, types and shapes, tokenizer and config', () => {
  const src = openHFSource(HF);
  const g = GGUFSource.open('../shared/models/llama-tiny-shape-F16.gguf');
  try {
    for (const name of ['token_embd.weight', 'blk.0.attn_q.weight', 'blk.3.ffn_down.weight', 'output_norm.weight', 'output.weight']) {
      const a = src.tensor(name)!;
      const b = g.tensor(name)!;
      assert.equal(typeName(a.type), typeName(b.type), name);
      assert.deepEqual(a.dims, b.dims, name);
    }
    assert.equal(src.tensor('model.norm.weight'), undefined);
    // Every hyper-parameter agrees; only the display name differs (the folder's vs the GGUF's general.name).
    assert.deepEqual({ ...src.config, name: '' }, { ...g.config, name: '' });
    assert.equal(src.config.name, 'llama-tiny-hf');
    const ref = JSON.parse(readFileSync(`${REF}.json`, 'utf8')) as Reference;
    assert.deepEqual(src.tokenizer.encode(ref.prompt), ref.prompt_ids);
  } finally {
    src.close();
    g.close();
  }
});

test("loading the folder gives llama.cpp's reference logits for llama-tiny-shape-F16, and exactly the GGUF's own", () => {
  const ref = JSON.parse(readFileSync(`${REF}.json`, 'utf8')) as Reference;
  const raw = readFileSync(`${REF}.batched.f32`);
  const expected = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const src = openHFSource(HF);
  const g = GGUFSource.open('../shared/models/llama-tiny-shape-F16.gguf');
  try {
    const got = logitsOf(src, ref.prompt_ids);
    assert.equal(got.length, expected.length);
    let maxAbs = 0;
    for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - expected[i]!));
    // llama.cpp's own batched and incremental paths differ by max_abs_batched_vs_incremental; allow twice that.
    assert.ok(maxAbs <= 2 * ref.max_abs_batched_vs_incremental, `max |Δ| ${maxAbs}`);
    // Same bytes and config as the GGUF: the same computation, bit for bit.
    assert.deepEqual(got, logitsOf(g, ref.prompt_ids));
  } finally {
    src.close();
    g.close();
  }
});

test('--quantize at load stores the matrices as the asked type and still follows the reference closely', () => {
  const ref = JSON.parse(readFileSync(`${REF}.json`, 'utf8')) as Reference;
  const src = quantizedSource(openHFSource(HF), GGMLType.Q8_0);
  try {
    assert.equal(src.tensor('blk.0.attn_q.weight')!.type, GGMLType.Q8_0);
    assert.equal(src.tensor('token_embd.weight')!.type, GGMLType.Q8_0);
    assert.equal(src.tensor('blk.0.attn_norm.weight')!.type, GGMLType.F32);
    const raw = readFileSync(`${REF}.batched.f32`);
    const expected = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const got = logitsOf(src, ref.prompt_ids);
    const vocab = 32000;
    for (let p = 0; p < ref.prompt_ids.length; p++) {
      let best = 0;
      let bestRef = 0;
      for (let v = 0; v < vocab; v++) {
        if (got[p * vocab + v]! > got[p * vocab + best]!) best = v;
        if (expected[p * vocab + v]! > expected[p * vocab + bestRef]!) bestRef = v;
      }
      assert.equal(best, bestRef, `argmax at position ${p}`);
    }
  } finally {
    src.close();
  }
});

test("loadModel accepts the folder (and --quantize at load): reference logits through the library API", async () => {
  const ref = JSON.parse(readFileSync(`${REF}.json`, 'utf8')) as Reference;
  const raw = readFileSync(`${REF}.batched.f32`);
  const expected = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const model = await loadModel(HF, { backend: 'js' });
  try {
    assert.deepEqual(model.tokenizer.encode(ref.prompt), ref.prompt_ids);
    const got = model.forward(ref.prompt_ids, { allPositions: true });
    let maxAbs = 0;
    for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - expected[i]!));
    assert.ok(maxAbs <= 2 * ref.max_abs_batched_vs_incremental, `max |Δ| ${maxAbs}`);
  } finally {
    model.dispose();
  }
  const q8 = await loadModel(HF, { backend: 'js', quantize: 'q8_0' });
  try {
    const last = q8.forward(ref.prompt_ids);
    let best = 0;
    for (let v = 1; v < last.length; v++) if (last[v]! > last[best]!) best = v;
    assert.equal(best, ref.greedy_ids[0]);
  } finally {
    q8.dispose();
  }
  await assert.rejects(loadModel(HF, { quantize: 'q9_z' }), /unknown tensor type 'q9_z'/);
});
