import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, RealizarError } from '../src/index.js';
import { STORIES } from './cli-harness.js';

test('a generation aborted during the prompt reports the time as prompt time, none as generation', async () => {
  const model = await loadModel(STORIES, { backend: 'js' });
  try {
    const abort = new AbortController();
    // More than one 512-token slice: the abort is seen between slices.
    const prompt = Array.from({ length: 1200 }, (_, i) => 1 + (i % 500));
    const stream = model.generate(prompt, { maxTokens: 4, signal: abort.signal });
    const first = stream.next();
    abort.abort();
    const r = await first;
    assert.equal(r.done, true);
    const result = r.value as Exclude<typeof r.value, { text: string }>;
    assert.equal(result.finishReason, 'abort');
    assert.equal(result.completionTokens, 0);
    assert.ok(result.promptMs > 0, `promptMs ${result.promptMs}`);
    assert.equal(result.generateMs, 0);
  } finally {
    model.dispose();
  }
});

test('library errors are RealizarErrors with a code, thrown when called, before any work', async () => {
  const model = await loadModel(STORIES, { backend: 'js' });
  try {
    const refused = (f: () => unknown, code: string, pattern: RegExp): void => {
      assert.throws(f, (e: unknown) => e instanceof RealizarError && e.code === code && pattern.test(e.message));
    };
    refused(() => model.generate('hi', { maxTokens: 5000 }), 'BAD_ARGUMENT', /exceeds the context length of 2048/);
    refused(() => model.generate('hi', { temperature: -1 }), 'BAD_ARGUMENT', /temperature/);
    refused(() => model.forward([]), 'BAD_ARGUMENT', /at least one token/);
    refused(() => model.forward([512]), 'BAD_ARGUMENT', /outside the vocabulary \(0\.\.511\)/);
  } finally {
    model.dispose();
  }
  assert.throws(() => model.generate('hi'), /was disposed/);
  await assert.rejects(loadModel(STORIES, { quantize: 'q4_k_m' }), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT');
  await assert.rejects(loadModel('../shared/absent.gguf'), (e: unknown) => e instanceof RealizarError && e.code === 'MISSING' && /ENOENT/.test(e.message));
});
