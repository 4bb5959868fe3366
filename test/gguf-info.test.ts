import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { humanBytes, humanCount, modelInfo, type ModelInfo } from '../src/gguf/info.js';
import { withGGUF } from './helpers/gguf-file.js';

/** reference/info/*.json: what gguf-py reads from each model file. */
interface Reference {
  file: string;
  gguf_version: number;
  n_tensors: number;
  alignment: number;
  metadata: Record<string, unknown>;
  tensors: { name: string; type: string; ne: number[]; offset_in_data: number; n_bytes: number }[];
}
interface RefArray {
  array_of: string;
  length: number;
  first: unknown[];
}

const REF_DIR = '../shared/reference/info';

const infoOf = (path: string): ModelInfo => withGGUF(path, modelInfo);

const isRefArray = (v: unknown): v is RefArray => typeof v === 'object' && v !== null && 'array_of' in v;

test('info agrees with gguf-py on every field of every reference/info file', () => {
  const refs = readdirSync(REF_DIR).filter((n) => n.endsWith('.json'));
  assert.equal(refs.length, 17, 'reference/info should describe 17 models');
  for (const refName of refs) {
    const ref = JSON.parse(readFileSync(`${REF_DIR}/${refName}`, 'utf8')) as Reference;
    const info = infoOf(`../shared/${ref.file}`);
    const where = ref.file;
    assert.equal(info.ggufVersion, ref.gguf_version, where);
    assert.equal(info.tensorCount, ref.n_tensors, where);
    assert.equal(info.alignment, ref.alignment, where);

    assert.deepEqual(Object.keys(info.metadata).sort(), Object.keys(ref.metadata).sort(), `${where}: metadata keys`);
    assert.equal(info.metadataCount, Object.keys(ref.metadata).length);
    for (const [key, want] of Object.entries(ref.metadata)) {
      const got = info.metadata[key];
      if (isRefArray(want)) assert.deepEqual(got, { arrayOf: want.array_of, length: want.length, first: want.first }, `${where}: ${key}`);
      else assert.equal(got, want, `${where}: ${key}`);
    }

    assert.deepEqual(
      info.tensors,
      ref.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.ne, offset: t.offset_in_data, bytes: t.n_bytes })),
      `${where}: tensors`,
    );

    // Summaries recomputed from gguf-py's tensor list.
    const mix = new Map<string, { tensors: number; bytes: number }>();
    for (const t of ref.tensors) {
      const m = mix.get(t.type) ?? { tensors: 0, bytes: 0 };
      mix.set(t.type, { tensors: m.tensors + 1, bytes: m.bytes + t.n_bytes });
    }
    assert.deepEqual(new Map(info.quantization.map((q) => [q.type, { tensors: q.tensors, bytes: q.bytes }])), mix, `${where}: quant mix`);
    assert.equal(info.parameterCount, ref.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0), `${where}: parameters`);

    const arch = ref.metadata['general.architecture'] as string;
    assert.equal(info.architecture, arch);
    assert.equal(info.name, ref.metadata['general.name'] ?? null);
    assert.equal(info.blockCount, ref.metadata[`${arch}.block_count`]);
    assert.equal(info.embeddingLength, ref.metadata[`${arch}.embedding_length`]);
    assert.equal(info.headCount, ref.metadata[`${arch}.attention.head_count`]);
    assert.equal(info.headCountKv, ref.metadata[`${arch}.attention.head_count_kv`] ?? null);
    assert.equal(info.feedForwardLength, ref.metadata[`${arch}.feed_forward_length`]);
    assert.equal(info.contextLength, ref.metadata[`${arch}.context_length`]);
    const tokens = ref.metadata['tokenizer.ggml.tokens'] as RefArray;
    assert.deepEqual(info.tokenizer, {
      model: ref.metadata['tokenizer.ggml.model'],
      kind: 'SentencePiece',
      pre: ref.metadata['tokenizer.ggml.pre'] ?? null,
      vocabSize: tokens.length,
    });
    assert.equal(info.chatTemplate, 'tokenizer.chat_template' in ref.metadata);
  }
});

test('info reads vocab-only files: no tensors, a BPE tokenizer, a chat template flag', () => {
  const info = infoOf('../shared/vocab/ggml-vocab-gpt-2.gguf');
  assert.equal(info.tensorCount, 0);
  assert.equal(info.parameterCount, 0);
  assert.deepEqual(info.quantization, []);
  assert.equal(info.tokenizer?.model, 'gpt2');
  assert.equal(info.tokenizer?.kind, 'byte-level BPE');
  assert.equal(info.tokenizer?.vocabSize, 50257);
  assert.equal(info.chatTemplate, false);
  const phi3 = infoOf('../shared/vocab/ggml-vocab-phi-3.gguf');
  assert.equal(phi3.chatTemplate, true);
  assert.equal(phi3.tokenizer?.kind, 'SentencePiece');
  assert.equal(infoOf('../shared/vocab/ggml-vocab-bert-bge.gguf').tokenizer?.kind, 'WordPiece');
});

test('human-readable sizes and counts', () => {
  assert.equal(humanBytes(1185376), '1.13 MiB');
  assert.equal(humanBytes(512), '512 bytes');
  assert.equal(humanBytes(3 * 2 ** 30), '3.00 GiB');
  assert.equal(humanCount(292800), '292.80 K');
  assert.equal(humanCount(6_738_415_616), '6.74 B');
  assert.equal(humanCount(12), '12');
});

test('realizar info prints the summary, the tensor list, and JSON with stable fields', () => {
  const run = (...args: string[]): string => execFileSync(process.execPath, ['bin/realizar.js', 'info', ...args], { encoding: 'utf8' });
  const text = run('../shared/models/llama-tiny-shape-Q4_K_M.gguf');
  for (const line of [/^architecture +llama$/m, /^layers +4$/m, /^heads +8 \(KV heads 4\)$/m, /^embedding +256$/m, /^feed-forward +768$/m, /^context +2048$/m]) {
    assert.match(text, line);
  }
  assert.match(text, /^quantization +Q6_K: 5 tensors, .*Q4_K: 25 tensors, .*F32: 9 tensors/m);
  assert.match(text, /^tokenizer +llama \(SentencePiece, pre default\), 32000 tokens$/m);
  assert.match(text, /^chat template +no$/m);
  assert.match(text, /\(13\.30 MiB, GGUF v3\)/);

  const withTensors = run('--tensors', '../shared/models/stories260K.gguf');
  assert.match(withTensors, /^blk\.4\.ffn_norm\.weight +F32 +\[64\] +1170944 +256$/m);
  assert.equal(withTensors.split('\n').filter((l) => /^(blk\.|token_embd|output)/.test(l)).length, 48);

  const json = JSON.parse(run('--json', '../shared/models/stories260K.gguf')) as ModelInfo;
  assert.deepEqual(json, JSON.parse(JSON.stringify(infoOf('../shared/models/stories260K.gguf'))));
  assert.equal(json.parameterCount, 292800);
  assert.equal(json.headCountKv, 4);
});
