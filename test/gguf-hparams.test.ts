import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { llamaConfigFromGGUF } from '../src/gguf/hparams.js';
import { GGUFValueType, type GGUFMetadataEntry } from '../src/gguf/types.js';
import { GGUFEntry, writeGGUF } from '../src/gguf/writer.js';
import type { LlamaConfig } from '../src/model/config.js';
import { GGMLType } from '../src/tensor/ggml-type.js';
import { tempDir } from './gguf-bytes.js';
import { withGGUF } from './helpers/gguf-file.js';
import { isError } from './helpers/refusal.js';

const configOf = (path: string): LlamaConfig => withGGUF(path, llamaConfigFromGGUF);

const dir = tempDir('gguf-hparams');
after(() => rmSync(dir, { recursive: true, force: true }));

test('stories260K: values from gguf-py, llama.cpp defaults for what the file leaves out', () => {
  const ref = JSON.parse(readFileSync('../shared/reference/info/stories260K.json', 'utf8')) as { metadata: Record<string, number> };
  const m = ref.metadata;
  assert.equal(m['llama.rope.freq_base'], undefined, 'the default is exercised');
  assert.deepEqual(configOf('../shared/models/stories260K.gguf'), {
    architecture: 'llama',
    name: 'llama',
    vocabSize: 512, // tokenizer.ggml.tokens length: the file has no llama.vocab_size
    embeddingLength: m['llama.embedding_length'],
    blockCount: m['llama.block_count'],
    feedForwardLength: m['llama.feed_forward_length'],
    headCount: m['llama.attention.head_count'],
    headCountKv: m['llama.attention.head_count_kv'],
    headDim: 64 / 8,
    contextLength: m['llama.context_length'],
    rmsEps: m['llama.attention.layer_norm_rms_epsilon'],
    ropeFreqBase: 10000,
    ropeDim: m['llama.rope.dimension_count'],
    ropeScaling: { kind: 'none' },
  });
});

test('llama-tiny-shape: every quantization gives the same hyper-parameters as gguf-py reads', () => {
  for (const q of ['F16', 'Q4_0', 'Q4_K_M', 'Q8_0']) {
    const ref = JSON.parse(readFileSync(`../shared/reference/info/llama-tiny-shape-${q}.json`, 'utf8')) as { metadata: Record<string, number> };
    const c = configOf(`../shared/models/llama-tiny-shape-${q}.gguf`);
    assert.equal(c.vocabSize, ref.metadata['llama.vocab_size']);
    assert.equal(c.embeddingLength, 256);
    assert.equal(c.headCount, 8);
    assert.equal(c.headCountKv, 4);
    assert.equal(c.headDim, 32);
    assert.equal(c.ropeDim, ref.metadata['llama.rope.dimension_count']);
    assert.equal(c.ropeFreqBase, ref.metadata['llama.rope.freq_base']);
    assert.equal(c.feedForwardLength, 768);
    assert.equal(c.blockCount, 4);
  }
});

/** A minimal llama-family header; `extra` entries override or add, `drop` removes. */
function synth(name: string, extra: Record<string, GGUFMetadataEntry>, drop: string[] = [], arch = 'llama', embdRows?: number): string {
  const meta = new Map<string, GGUFMetadataEntry>([
    ['general.architecture', GGUFEntry.str(arch)],
    [`${arch}.context_length`, GGUFEntry.u32(4096)],
    [`${arch}.embedding_length`, GGUFEntry.u32(128)],
    [`${arch}.block_count`, GGUFEntry.u32(2)],
    [`${arch}.feed_forward_length`, GGUFEntry.u32(352)],
    [`${arch}.attention.head_count`, GGUFEntry.u32(4)],
    [`${arch}.attention.layer_norm_rms_epsilon`, GGUFEntry.f32(1e-6)],
    ['tokenizer.ggml.tokens', GGUFEntry.array(GGUFValueType.STRING, ['a', 'b', 'c'])],
  ]);
  for (const k of drop) meta.delete(k);
  for (const [k, v] of Object.entries(extra)) meta.set(k, v);
  const path = join(dir, `${name}.gguf`);
  const tensors = embdRows === undefined ? [] : [{ name: 'token_embd.weight', type: GGMLType.F32, dims: [128, embdRows], data: new Uint8Array(128 * embdRows * 4) }];
  writeGGUF(path, meta, tensors);
  return path;
}

test('defaults: KV heads = heads, head size = embedding / heads, rope base 10000, no scaling', () => {
  const c = configOf(synth('defaults', {}));
  assert.equal(c.headCountKv, 4);
  assert.equal(c.headDim, 32);
  assert.equal(c.ropeDim, 32);
  assert.equal(c.ropeFreqBase, 10000);
  assert.deepEqual(c.ropeScaling, { kind: 'none' });
  assert.equal(c.rmsEps, Math.fround(1e-6));
  assert.equal(c.vocabSize, 3);
  assert.equal(c.name, 'defaults');
});

test('qwen2 reads its own prefix; explicit key length, rope base and per-layer uniform arrays', () => {
  const c = configOf(
    synth(
      'qwen2',
      {
        'qwen2.attention.head_count_kv': GGUFEntry.array(GGUFValueType.UINT32, [2, 2]),
        'qwen2.attention.key_length': GGUFEntry.u32(64),
        'qwen2.rope.dimension_count': GGUFEntry.u32(32),
        'qwen2.rope.freq_base': GGUFEntry.f32(1000000),
        'qwen2.vocab_size': GGUFEntry.u64(151936n),
        'general.name': GGUFEntry.str('Qwen2 test'),
      },
      [],
      'qwen2',
    ),
  );
  assert.equal(c.architecture, 'qwen2');
  assert.equal(c.name, 'Qwen2 test');
  assert.equal(c.headCountKv, 2);
  assert.equal(c.headDim, 64);
  assert.equal(c.ropeDim, 32);
  assert.equal(c.ropeFreqBase, 1e6);
  assert.equal(c.vocabSize, 151936);
});

test('vocab size falls back to token_embd rows when there is no token list', () => {
  assert.equal(configOf(synth('embd-vocab', {}, ['tokenizer.ggml.tokens'], 'llama', 7)).vocabSize, 7);
  assert.throws(() => configOf(synth('no-vocab', {}, ['tokenizer.ggml.tokens'])), isError('MISSING', 'vocab_size', 'token_embd.weight'));
});

test('rope scaling: linear factor, llama3 factors from metadata, YaRN and unknown types refused', () => {
  const linear = configOf(synth('linear', { 'llama.rope.scaling.type': GGUFEntry.str('linear'), 'llama.rope.scaling.factor': GGUFEntry.f32(4) }));
  assert.deepEqual(linear.ropeScaling, { kind: 'linear', factor: 4 });
  // llama.cpp: the type defaults to linear, and the old rope.scale_linear key still counts.
  assert.deepEqual(configOf(synth('old-linear', { 'llama.rope.scale_linear': GGUFEntry.f32(2) })).ropeScaling, { kind: 'linear', factor: 2 });
  assert.deepEqual(configOf(synth('none', { 'llama.rope.scaling.type': GGUFEntry.str('none'), 'llama.rope.scaling.factor': GGUFEntry.f32(8) })).ropeScaling, { kind: 'none' });
  const llama3 = configOf(
    synth('llama3', {
      'llama.rope.scaling.type': GGUFEntry.str('llama3'),
      'llama.rope.scaling.factor': GGUFEntry.f32(8),
      'llama.rope.scaling.low_freq_factor': GGUFEntry.f32(1),
      'llama.rope.scaling.high_freq_factor': GGUFEntry.f32(4),
      'llama.rope.scaling.original_context_length': GGUFEntry.u32(8192),
    }),
  );
  assert.deepEqual(llama3.ropeScaling, { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 });
  assert.throws(
    () => configOf(synth('llama3-partial', { 'llama.rope.scaling.type': GGUFEntry.str('llama3'), 'llama.rope.scaling.factor': GGUFEntry.f32(8) })),
    isError('MISSING', 'llama.rope.scaling.low_freq_factor'),
  );
  assert.throws(() => configOf(synth('yarn', { 'llama.rope.scaling.type': GGUFEntry.str('yarn') })), isError('UNSUPPORTED', 'yarn'));
  assert.throws(() => configOf(synth('weird', { 'llama.rope.scaling.type': GGUFEntry.str('dynamic') })), isError('BAD_FILE', 'dynamic'));
});

test('missing required keys, unsupported architectures and inconsistent shapes are named', () => {
  for (const key of ['llama.context_length', 'llama.embedding_length', 'llama.block_count', 'llama.feed_forward_length', 'llama.attention.head_count', 'llama.attention.layer_norm_rms_epsilon']) {
    assert.throws(() => configOf(synth(`missing-${key}`, {}, [key])), isError('MISSING', `'${key}'`));
  }
  assert.throws(() => configOf(synth('no-arch', {}, ['general.architecture'])), isError('MISSING', 'general.architecture'));
  assert.throws(() => configOf(synth('falcon', {}, [], 'falcon')), isError('UNSUPPORTED', "'falcon'"));
  assert.throws(() => configOf(synth('moe', { 'llama.expert_count': GGUFEntry.u32(8) })), isError('UNSUPPORTED', 'expert_count'));
  assert.throws(() => configOf(synth('kv3', { 'llama.attention.head_count_kv': GGUFEntry.u32(3) })), isError('BAD_FILE', 'head_count_kv'));
  assert.throws(() => configOf(synth('layers-differ', { 'llama.feed_forward_length': GGUFEntry.array(GGUFValueType.UINT32, [352, 704]) })), isError('UNSUPPORTED', 'feed_forward_length'));
  assert.throws(() => configOf(synth('partial-rope', { 'llama.rope.dimension_count': GGUFEntry.u32(16) })), isError('BAD_FILE', 'rope.dimension_count'));
  assert.throws(() => configOf(synth('zero-heads', { 'llama.attention.head_count': GGUFEntry.u32(0) })), isError('BAD_FILE', 'head_count'));
  assert.throws(() => configOf(synth('text-heads', { 'llama.attention.head_count': GGUFEntry.str('4') })), isError('BAD_FILE', 'head_count', 'STRING'));
});
