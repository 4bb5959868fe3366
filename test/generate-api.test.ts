import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type GenerateOptions, type GenerationChunk, type GenerationResult, type Model } from '../src/index.js';
import { reference } from './model-oracle.js';

let model: Model;
before(async () => {
  model = await loadModel('../shared/models/stories260K.gguf', { backend: 'js' });
});
after(() => model.dispose());

async function collect(prompt: string | readonly number[], options: GenerateOptions): Promise<{ chunks: GenerationChunk[]; result: GenerationResult }> {
  const chunks: GenerationChunk[] = [];
  const stream = model.generate(prompt, options);
  for (;;) {
    const step = await stream.next();
    if (step.done === true) return { chunks, result: step.value };
    chunks.push(step.value);
  }
}

const text = (chunks: readonly GenerationChunk[]): string => chunks.map((c) => c.text).join('');

test('the model describes itself: config, tokenizer, context', () => {
  assert.equal(model.config.architecture, 'llama');
  assert.equal(model.config.vocabSize, 512);
  assert.equal(model.tokenizer.vocabSize, 512);
  assert.equal(model.contextLength, 2048);
  assert.equal(model.chatTemplate, undefined);
  assert.equal(model.backendName, 'js');
});

test('greedy generation from a text prompt streams llama.cpp\'s tokens and text', async () => {
  const ref = reference('stories260K', 0);
  assert.deepEqual(model.tokenizer.encode(ref.prompt), ref.prompt_ids);
  const { chunks, result } = await collect(ref.prompt, { temperature: 0, maxTokens: ref.greedy_ids.length });
  assert.deepEqual(chunks.map((c) => c.tokenId), ref.greedy_ids);
  assert.equal(text(chunks), ref.greedy_text);
  assert.equal(result.finishReason, 'length');
  assert.equal(result.promptTokens, ref.prompt_ids.length);
  assert.equal(result.completionTokens, ref.greedy_ids.length);
  assert.ok(result.promptMs >= 0 && result.generateMs > 0);
});

test('forward returns the last position\'s logits or every position\'s, the same either way', () => {
  const ids = reference('stories260K', 1).prompt_ids;
  const all = model.forward(ids, { allPositions: true });
  const last = model.forward(ids);
  assert.equal(all.length, ids.length * 512);
  assert.deepEqual(last, all.subarray((ids.length - 1) * 512));
});

test('a seeded run is reproducible token for token; another seed differs', async () => {
  const opts = { temperature: 1, maxTokens: 40, seed: 1234 };
  const a = await collect('Once upon a time', opts);
  const b = await collect('Once upon a time', opts);
  assert.deepEqual(a.chunks.map((c) => c.tokenId), b.chunks.map((c) => c.tokenId));
  const c = await collect('Once upon a time', { ...opts, seed: 99 });
  assert.notDeepEqual(a.chunks.map((x) => x.tokenId), c.chunks.map((x) => x.tokenId));
});

test('concurrent generations on one model each keep their own cache and equal their solo runs', async () => {
  const prompts = ['Once upon a time', 'The little dog', 'Tom and Lily'];
  const solo = [];
  for (const [i, p] of prompts.entries()) solo.push((await collect(p, { seed: i, maxTokens: 24 })).chunks.map((c) => c.tokenId));
  const together = await Promise.all(prompts.map((p, i) => collect(p, { seed: i, maxTokens: 24 })));
  assert.deepEqual(together.map((r) => r.chunks.map((c) => c.tokenId)), solo);
});

test('generation yields to the event loop between tokens', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const seen: number[] = [];
  try {
    for await (const _ of model.generate('Once upon a time', { temperature: 0, maxTokens: 30 })) seen.push(ticks);
  } finally {
    clearInterval(timer);
  }
  // Timers ran while the generation was in progress, not only after it.
  assert.ok(seen[seen.length - 1]! > seen[0]!, `ticks during generation: ${seen.join(',')}`);
});

test('an AbortSignal stops the generation with finishReason abort', async () => {
  const abort = new AbortController();
  const chunks: GenerationChunk[] = [];
  const stream = model.generate('Once upon a time', { temperature: 0, maxTokens: 50, signal: abort.signal });
  let step = await stream.next();
  while (step.done !== true) {
    chunks.push(step.value);
    if (chunks.length === 3) abort.abort();
    step = await stream.next();
  }
  assert.equal(step.value.finishReason, 'abort');
  assert.equal(step.value.completionTokens, 3);
});

test('stop strings end the text before them; end-of-generation tokens end it too', async () => {
  const stopped = await collect('Once upon a time', { temperature: 0, maxTokens: 60, stop: ['Lily'] });
  assert.equal(text(stopped.chunks), ', there was a little girl named ');
  assert.equal(stopped.result.finishReason, 'stop');
  // A bias that makes EOS (id 2) the only choice ends the generation at once, without emitting it.
  const eos = await collect('Once upon a time', { temperature: 0, maxTokens: 10, logitBias: new Map([[2, 100]]) });
  assert.equal(model.tokenizer.isEndOfGeneration(2), true);
  assert.deepEqual(eos.chunks, []);
  assert.equal(eos.result.finishReason, 'stop');
  assert.equal(eos.result.completionTokens, 0);
});

test('logprobs are the log-softmax of the model\'s logits, recomputed in float64, with the top alternatives', async () => {
  const ids = reference('stories260K', 0).prompt_ids;
  const logits = model.forward(ids);
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const logZ = max + Math.log(sum);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);

  const { chunks } = await collect(ids, { temperature: 0, maxTokens: 2, logprobs: 3 });
  const first = chunks[0]!;
  assert.equal(first.tokenId, order[0]);
  assert.equal(first.logprob!.tokenId, first.tokenId);
  assert.ok(Math.abs(first.logprob!.logprob - (logits[order[0]!]! - logZ)) < 1e-9);
  assert.deepEqual(first.topLogprobs!.map((t) => t.tokenId), order.slice(0, 3));
  first.topLogprobs!.forEach((t, i) => assert.ok(Math.abs(t.logprob - (logits[order[i]!]! - logZ)) < 1e-9));
  assert.equal(first.topLogprobs![0]!.token, model.tokenizer.tokenText(order[0]!));
});

test('without maxTokens a generation runs until the context is full', async () => {
  const small = await loadModel('../shared/models/stories260K.gguf', { backend: 'js', contextLength: 12 });
  try {
    const { result } = await (async () => {
      const stream = small.generate([1, 403], { temperature: 0 });
      let step = await stream.next();
      while (step.done !== true) step = await stream.next();
      return { result: step.value };
    })();
    assert.equal(result.finishReason, 'length');
    assert.equal(result.completionTokens, 10);
  } finally {
    small.dispose();
  }
});
