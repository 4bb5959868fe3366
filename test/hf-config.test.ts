import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHFConfig } from '../src/hf/config.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { expectError } from './helpers/refusal.js';

const BASE = JSON.parse(readFileSync('../shared/hf/llama-tiny-hf/config.json', 'utf8')) as Record<string, unknown>;

/** Runs `fn` on a temp folder holding config.json = BASE with `changes` (undefined deletes a key). */
function withConfig<T>(changes: Record<string, unknown>, fn: (dir: string) => T, generation?: unknown): T {
  const dir = mkdtempSync(join(tmpdir(), 'hf-config-'));
  try {
    const cfg: Record<string, unknown> = { ...BASE, ...changes };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete cfg[k];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    if (generation !== undefined) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generation));
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('llama-tiny-hf config.json gives the hyper-parameters llama-tiny-shape-F16.gguf stores', () => {
  const { config, tieWordEmbeddings, bosTokenId, eosTokenIds, hfArchitecture } = readHFConfig('../shared/hf/llama-tiny-hf');
  const g = GGUFFile.open('../shared/models/llama-tiny-shape-F16.gguf');
  try {
    assert.equal(hfArchitecture, 'LlamaForCausalLM');
    assert.equal(config.architecture, g.get('general.architecture'));
    assert.equal(config.embeddingLength, g.get('llama.embedding_length'));
    assert.equal(config.blockCount, g.get('llama.block_count'));
    assert.equal(config.feedForwardLength, g.get('llama.feed_forward_length'));
    assert.equal(config.headCount, g.get('llama.attention.head_count'));
    assert.equal(config.headCountKv, g.get('llama.attention.head_count_kv'));
    assert.equal(config.contextLength, g.get('llama.context_length'));
    assert.equal(config.ropeDim, g.get('llama.rope.dimension_count'));
    assert.equal(config.headDim, 32);
    assert.equal(config.vocabSize, g.get('llama.vocab_size'));
    assert.equal(config.ropeFreqBase, g.get('llama.rope.freq_base'));
    // config.json has the decimal 1e-05; GGUF and llama.cpp hold it as f32, and so do we.
    assert.equal(config.rmsEps, g.get('llama.attention.layer_norm_rms_epsilon'));
    assert.deepEqual(config.ropeScaling, { kind: 'none' });
    assert.equal(tieWordEmbeddings, false);
    assert.equal(bosTokenId, g.get('tokenizer.ggml.bos_token_id'));
    assert.deepEqual(eosTokenIds, [g.get('tokenizer.ggml.eos_token_id')]);
  } finally {
    g.close();
  }
});

test('Mistral and Qwen2 map to GGUF architectures llama and qwen2; head_dim and kv heads default as transformers', () => {
  withConfig({ architectures: ['MistralForCausalLM'], num_key_value_heads: undefined }, (dir) => {
    const { config } = readHFConfig(dir);
    assert.equal(config.architecture, 'llama');
    assert.equal(config.headCountKv, 8);
  });
  withConfig({ architectures: ['Qwen2ForCausalLM'], head_dim: 64, rope_theta: 1000000, tie_word_embeddings: true }, (dir) => {
    const hf = readHFConfig(dir);
    assert.equal(hf.config.architecture, 'qwen2');
    assert.equal(hf.config.headDim, 64);
    assert.equal(hf.config.ropeDim, 64);
    assert.equal(hf.config.ropeFreqBase, 1000000);
    assert.equal(hf.tieWordEmbeddings, true);
  });
});

test('rope_scaling: linear and llama3 are read; yarn is refused', () => {
  withConfig({ rope_scaling: { type: 'linear', factor: 4 } }, (dir) => assert.deepEqual(readHFConfig(dir).config.ropeScaling, { kind: 'linear', factor: 4 }));
  withConfig(
    { rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } },
    (dir) =>
      assert.deepEqual(readHFConfig(dir).config.ropeScaling, { kind: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 }),
  );
  withConfig({ rope_scaling: { rope_type: 'yarn', factor: 4 } }, (dir) => expectError(() => readHFConfig(dir), 'UNSUPPORTED', 'config.json', 'yarn'));
  withConfig({ rope_scaling: { type: 'linear' } }, (dir) => expectError(() => readHFConfig(dir), 'MISSING', 'config.json', "'factor'"));
});

test('missing or wrong keys and unsupported architectures fail naming the file and the key', () => {
  for (const key of ['hidden_size', 'num_attention_heads', 'num_hidden_layers', 'intermediate_size', 'vocab_size', 'max_position_embeddings', 'rms_norm_eps']) {
    withConfig({ [key]: undefined }, (dir) => expectError(() => readHFConfig(dir), 'MISSING', join(dir, 'config.json'), `'${key}'`));
  }
  withConfig({ architectures: undefined }, (dir) => expectError(() => readHFConfig(dir), 'MISSING', 'config.json', "'architectures'"));
  withConfig({ architectures: ['GPTNeoXForCausalLM'] }, (dir) => expectError(() => readHFConfig(dir), 'UNSUPPORTED', 'config.json', 'GPTNeoXForCausalLM'));
  withConfig({ hidden_size: '256' }, (dir) => expectError(() => readHFConfig(dir), 'BAD_FILE', 'config.json', "'hidden_size'"));
  withConfig({ num_key_value_heads: 3 }, (dir) => expectError(() => readHFConfig(dir), 'BAD_FILE', 'num_key_value_heads'));
  const empty = mkdtempSync(join(tmpdir(), 'hf-none-'));
  try {
    expectError(() => readHFConfig(empty), 'MISSING', join(empty, 'config.json'));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('generation_config.json supplies sampling defaults and the full list of end tokens', () => {
  withConfig({}, (dir) => {
    const hf = readHFConfig(dir);
    assert.deepEqual(hf.eosTokenIds, [2, 32007]);
    assert.equal(hf.bosTokenId, 1);
    assert.deepEqual(hf.generationDefaults, { temperature: 0.6, topP: 0.9, topK: 20, repeatPenalty: 1.1 });
  }, { bos_token_id: 1, eos_token_id: [2, 32007], temperature: 0.6, top_p: 0.9, top_k: 20, repetition_penalty: 1.1, do_sample: true });
  withConfig({}, (dir) => assert.deepEqual(readHFConfig(dir).generationDefaults, { temperature: 0 }), { do_sample: false, temperature: 0.7 });
  withConfig({}, (dir) => assert.deepEqual(readHFConfig(dir).generationDefaults, {}));
});
