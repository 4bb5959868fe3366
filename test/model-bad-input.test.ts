import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsBackend } from '../src/backend/js/backend.js';
import { RealizarError, type ErrorCode } from '../src/errors.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { GGUFEntry, tensorSourcesOf, writeGGUF } from '../src/gguf/writer.js';
import type { LlamaConfig } from '../src/model/config.js';
import { GGUFSource } from '../src/model/gguf-source.js';
import { Llama } from '../src/model/llama.js';
import { loadModel } from '../src/model/load.js';
import type { ModelSource, SourceTensor } from '../src/model/source.js';
import { GGMLType } from '../src/tensor/ggml-type.js';

const STORIES = '../shared/models/stories260K.gguf';
const dir = mkdtempSync(join(tmpdir(), 'realizar-model-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function expectError(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RealizarError, `not a RealizarError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

/** stories260K as a source, with its config or tensors altered; every read is counted. */
function altered(change: { config?: Partial<LlamaConfig>; tensor?: (t: SourceTensor) => SourceTensor | undefined }): { source: ModelSource; reads: () => number } {
  const real = GGUFSource.open(STORIES);
  let reads = 0;
  const source: ModelSource = {
    path: 'altered.gguf',
    config: { ...real.config, ...change.config },
    tokenizer: real.tokenizer,
    chatTemplate: undefined,
    tensor: (name) => {
      const t = real.tensor(name);
      if (t === undefined) return undefined;
      const counted: SourceTensor = { ...t, read: () => (reads++, t.read()) };
      return change.tensor === undefined ? counted : change.tensor(counted);
    },
    close: () => real.close(),
  };
  return { source, reads: () => reads };
}

test('an unknown architecture is refused by name before any tensor is read', () => {
  const { source, reads } = altered({ config: { architecture: 'mamba' } });
  expectError(() => Llama.load(source, new JsBackend()), 'UNSUPPORTED', /architecture 'mamba' is not supported \(supported: llama, qwen2\)/);
  assert.equal(reads(), 0);
  source.close();
});

test('a missing tensor is named, before any tensor is read', () => {
  const { source, reads } = altered({ tensor: (t) => (t.name === 'blk.3.ffn_up.weight' ? undefined : t) });
  expectError(() => Llama.load(source, new JsBackend()), 'MISSING', /tensor 'blk\.3\.ffn_up\.weight' is missing/);
  assert.equal(reads(), 0);
  source.close();
});

test('a tensor whose shape disagrees with the hyper-parameters is named with both shapes', () => {
  const { source, reads } = altered({ tensor: (t) => (t.name === 'blk.0.attn_k.weight' ? { ...t, dims: [64, 64] } : t) });
  expectError(() => Llama.load(source, new JsBackend()), 'BAD_FILE', /'blk\.0\.attn_k\.weight' has shape \[64, 64\], expected \[64, 32\]/);
  assert.equal(reads(), 0);
  // The same through the config: 5 KV heads do not divide 8 heads.
  const kv = altered({ config: { headCountKv: 5 } });
  expectError(() => Llama.load(kv.source, new JsBackend()), 'BAD_FILE', /head_count 8 is not a multiple of head_count_kv 5/);
  source.close();
  kv.source.close();
});

test('a tensor type we cannot compute with is named before any tensor is read', () => {
  const { source, reads } = altered({ tensor: (t) => (t.name === 'output.weight' ? { ...t, type: GGMLType.IQ2_XXS } : t) });
  expectError(() => Llama.load(source, new JsBackend()), 'UNSUPPORTED', /IQ2_XXS is not supported \(tensor 'output\.weight'\)/);
  assert.equal(reads(), 0);
  source.close();
});

test('a tied model (no output.weight) uses the token embedding as its output matrix', () => {
  const tied = altered({ tensor: (t) => (t.name === 'output.weight' ? undefined : t) });
  const llama = Llama.load(tied.source, new JsBackend());
  assert.equal(llama.weights.output, llama.weights.tokenEmbedding);
  assert.equal(llama.forward(llama.newSequence(2), [1, 403]).length, 512);
  tied.source.close();
});

function rewritten(name: string, edit: (metadata: Map<string, ReturnType<typeof GGUFEntry.str>>) => void): string {
  const f = GGUFFile.open(STORIES);
  try {
    const metadata = new Map(f.metadata);
    edit(metadata);
    const path = join(dir, name);
    writeGGUF(path, metadata, tensorSourcesOf(f));
    return path;
  } finally {
    f.close();
  }
}

test('GGUF files with an unknown architecture or YaRN rope scaling are refused by loadModel', async () => {
  const falcon = rewritten('falcon.gguf', (m) => m.set('general.architecture', GGUFEntry.str('falcon')));
  await assert.rejects(loadModel(falcon), (e: RealizarError) => e.code === 'UNSUPPORTED' && /architecture 'falcon'/.test(e.message));
  const yarn = rewritten('yarn.gguf', (m) => m.set('llama.rope.scaling.type', GGUFEntry.str('yarn')));
  await assert.rejects(loadModel(yarn), (e: RealizarError) => e.code === 'UNSUPPORTED' && /yarn/.test(e.message));
});

test('prompts beyond the context, bad token ids and bad options fail before any work, naming the limit', async () => {
  const model = await loadModel(STORIES, { backend: 'js', contextLength: 16 });
  try {
    assert.equal(model.contextLength, 16);
    const long = Array.from({ length: 20 }, () => 403);
    expectError(() => model.generate(long), 'BAD_ARGUMENT', /20 tokens, the context length is 16/);
    expectError(() => model.generate([1, 403], { maxTokens: 15 }), 'BAD_ARGUMENT', /prompt \(2 tokens\) \+ maxTokens \(15\) exceeds the context length of 16/);
    expectError(() => model.forward(long), 'BAD_ARGUMENT', /20 tokens exceed the context length of 16/);
    expectError(() => model.forward([1, 512]), 'BAD_ARGUMENT', /token id 512 at index 1 is outside the vocabulary \(0\.\.511\)/);
    expectError(() => model.generate([]), 'BAD_ARGUMENT', /prompt is empty/);
    expectError(() => model.generate([1], { temperature: -1 }), 'BAD_ARGUMENT', /temperature/);
    expectError(() => model.generate([1], { maxTokens: 2.5 }), 'BAD_ARGUMENT', /maxTokens/);
  } finally {
    model.dispose();
  }
  expectError(() => model.forward([1]), 'BAD_ARGUMENT', /disposed/);
  await assert.rejects(loadModel(STORIES, { contextLength: 0 }), /contextLength must be a positive integer/);
  await assert.rejects(loadModel(STORIES, { backend: 'cuda' }), /unknown backend 'cuda'/);
  await assert.rejects(loadModel(join(dir, 'nope.gguf')), (e: RealizarError) => e.code === 'MISSING');
});
