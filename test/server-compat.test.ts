import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { GenerationChunk, GenerationResult } from '../src/generate/types.js';
import { loadModel } from '../src/model/load.js';
import { startServer } from '../src/server/app.js';
import { EOS, metricValue, openAIError, postJSON, sseEvents, startTestServer, type TestServer } from './server-helpers.js';

/**
 * What llama-server and Ollama users rely on beyond the happy path: browsers (CORS), wrong methods,
 * bad bytes, streaming from /generate, max_tokens past the context, logprobs as OpenAI shows them.
 */

// llama.cpp's greedy continuation and its logits at every prompt position (float32, row-major).
const reference = JSON.parse(readFileSync('../shared/reference/logits/stories260K.0.json', 'utf8')) as {
  prompt: string;
  prompt_ids: number[];
  n_vocab: number;
  greedy_ids: number[];
};
const batched = readFileSync('../shared/reference/logits/stories260K.0.batched.f32');
const referenceLogits = new Float32Array(batched.buffer, batched.byteOffset, batched.byteLength / 4);

let t: TestServer;
before(async () => {
  t = await startTestServer({ apiKey: 'k' });
});
after(() => t.close());

const auth = { authorization: 'Bearer k' };

test('a browser preflight is answered 204 without the API key; responses carry Access-Control-Allow-Origin', async () => {
  const preflight = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  assert.match(preflight.headers.get('access-control-allow-methods')!, /POST/);
  assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization/);
  const models = await fetch(`${t.url}/v1/models`, { headers: { origin: 'http://localhost:3000', ...auth } });
  assert.equal(models.status, 200);
  assert.equal(models.headers.get('access-control-allow-origin'), '*');
  // An error must be readable by the page too, or it only sees a network failure.
  const refused = await fetch(`${t.url}/v1/models`, { headers: { origin: 'http://localhost:3000' } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), '*');
});

test('--cors-origin lets only the listed origins in; --no-cors sends no CORS headers', async () => {
  const listed = await startTestServer({ cors: { origins: ['https://app.example'] } });
  const none = await startTestServer({ cors: null });
  try {
    const allowed = await fetch(`${listed.url}/health`, { headers: { origin: 'https://app.example' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(allowed.headers.get('vary')!, /Origin/);
    const other = await fetch(`${listed.url}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const off = await fetch(`${none.url}/health`, { headers: { origin: 'https://app.example' } });
    assert.equal(off.status, 200);
    assert.equal(off.headers.get('access-control-allow-origin'), null);
  } finally {
    await Promise.all([listed.close(), none.close()]);
  }
});

test('a wrong method gets 405 with Allow; an unknown path 404; both as OpenAI errors', async () => {
  const cases: Array<[string, string, number, string | null]> = [
    ['GET', '/v1/chat/completions', 405, 'POST'],
    ['GET', '/generate', 405, 'POST'],
    ['POST', '/v1/models', 405, 'GET'],
    ['DELETE', '/v1/models/whatever', 405, 'GET'],
    ['PUT', '/health', 405, 'GET'],
    ['GET', '/v1/engines', 404, null],
    ['POST', '/v1/chat/completions/extra', 404, null],
  ];
  for (const [method, path, status, allow] of cases) {
    const response = await fetch(`${t.url}${path}`, { method, headers: auth });
    assert.equal(response.status, status, `${method} ${path}`);
    assert.equal(response.headers.get('allow'), allow, `${method} ${path}`);
    const error = openAIError(await response.json());
    assert.equal(error.code, status === 405 ? 'method_not_allowed' : 'not_found');
    assert.ok(error.message.includes(path));
  }
});

test('text with a lone surrogate escape (valid JSON, not Unicode) is refused with 400 naming the field', async () => {
  const cases: Array<[string, string, string]> = [
    ['/v1/completions', '{"prompt": "Once \\ud800 upon"}', 'prompt'],
    ['/v1/completions', '{"prompt": "Once", "stop": ["a", "\\udc00"]}', 'stop.1'],
    ['/v1/chat/completions', '{"messages": [{"role": "user", "content": "\\ud83d"}]}', 'messages.0.content'],
    ['/generate', '{"prompt": "x\\udfff"}', 'prompt'],
    ['/tokenize', '{"content": "\\ud800"}', 'content'],
  ];
  for (const [path, body, param] of cases) {
    const r = await postJSON(`${t.url}${path}`, body, auth);
    assert.equal(r.status, 400, `${path} ${body}`);
    const error = openAIError(r.json);
    assert.equal(error.param, param);
    assert.match(error.message, /surrogate/);
  }
  // A pair is one character, and fine.
  const pair = await postJSON(`${t.url}/tokenize`, '{"content": "\\ud83d\\ude00", "add_special": false}', auth);
  assert.equal(pair.status, 200);
  assert.equal((await postJSON(`${t.url}/detokenize`, { tokens: pair.json.tokens }, auth)).json.content.trim(), '\u{1F600}');
});

test('a body that is not valid UTF-8 is refused with 400, not read with replacement characters', async () => {
  const bad = Buffer.concat([Buffer.from('{"prompt": "Once '), Buffer.from([0xff, 0xfe]), Buffer.from('", "max_tokens": 2}')]);
  for (const path of ['/generate', '/v1/completions', '/tokenize']) {
    const response = await fetch(`${t.url}${path}`, { method: 'POST', body: bad, headers: { 'content-type': 'application/json', ...auth } });
    assert.equal(response.status, 400, path);
    assert.equal(openAIError(await response.json()).code, 'invalid_utf8');
  }
  // Well-formed multi-byte text still goes through.
  const good = await postJSON(`${t.url}/tokenize`, { content: 'Ünïcödé ✓', add_special: false }, auth);
  assert.equal(good.status, 200);
  const back = await postJSON(`${t.url}/detokenize`, { tokens: good.json.tokens }, auth);
  assert.equal(back.json.content, 'Ünïcödé ✓');
});

test("/generate with stream: true streams llama.cpp's greedy tokens as SSE, with the one-piece answer's fields", async () => {
  const n = 12;
  const request = { prompt: reference.prompt, max_tokens: n, temperature: 0 };
  // As curl -d sends it: no JSON content type.
  const response = await fetch(`${t.url}/generate`, { method: 'POST', body: JSON.stringify({ ...request, stream: true }), headers: auth });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^text\/event-stream/);
  const events = sseEvents(await response.text());
  const steps = events.slice(0, -1);
  const summary = events.at(-1)!;
  assert.deepEqual(steps.map((e) => e.token), reference.greedy_ids.slice(0, n));
  const whole = await postJSON(`${t.url}/generate`, request, auth);
  assert.equal(steps.map((e) => e.text).join(''), whole.json.text);
  assert.equal(summary.text, '');
  assert.equal(summary.finish_reason, 'length');
  assert.deepEqual(summary.usage, whole.json.usage);
  assert.equal(summary.model, whole.json.model);
  assert.ok(summary.timings.prompt_ms >= 0 && summary.timings.generate_ms >= 0);
});

test('max_tokens beyond the context runs until the context is full and ends with finish_reason length', async () => {
  const small = await startTestServer({ contextLength: 32 });
  try {
    const client = new OpenAI({ baseURL: `${small.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.completions.create({ model: 'stories260K', prompt: reference.prompt, max_tokens: 4096, temperature: 0, logit_bias: { [EOS]: -100 } });
    assert.equal(completion.choices[0]!.finish_reason, 'length');
    assert.deepEqual(completion.usage, { prompt_tokens: reference.prompt_ids.length, completion_tokens: 32 - reference.prompt_ids.length, total_tokens: 32 });
    const chat = await client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100000, logit_bias: { [EOS]: -100 } });
    assert.equal(chat.choices[0]!.finish_reason, 'length');
    assert.equal(chat.usage!.total_tokens, 32);
  } finally {
    await small.close();
  }
});

/**
 * log-softmax in float64 of one row of llama.cpp's logits: the oracle for the logprobs the API reports.
 * The engine's default rounding keeps logits within 6e-4 of the row's range of llama.cpp's
 * (model-logits.test), so ~1e-2 here, far below the gap between a token and its runner-up.
 */
const LOGPROB_TOLERANCE = 1e-2;
function referenceLogprobs(row: number): Float64Array {
  const logits = referenceLogits.subarray(row * reference.n_vocab, (row + 1) * reference.n_vocab);
  const max = Math.max(...logits);
  const logZ = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
  return Float64Array.from(logits, (l) => l - logZ);
}

test("logprobs show each token as its text and bytes, with llama.cpp's log-probabilities; text_offset counts from the prompt start", async () => {
  const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'k', maxRetries: 0 });
  const expected = referenceLogprobs(reference.prompt_ids.length - 1);
  const firstId = reference.greedy_ids[0]!;
  const runnerUp = [...expected.keys()].sort((a, b) => expected[b]! - expected[a]!)[1]!;

  const n = 6;
  const completion = await client.completions.create({ model: 'stories260K', prompt: reference.prompt, max_tokens: n, temperature: 0, logprobs: 2 });
  const text = completion.choices[0]!.text;
  const lp = completion.choices[0]!.logprobs!;
  // Each token as the text it adds: together they are the completion, and none shows SentencePiece's ▁.
  assert.equal(lp.tokens!.join(''), text);
  assert.ok(lp.tokens!.every((token) => !token.includes('\u2581')));
  assert.ok(Math.abs(lp.token_logprobs![0]! - expected[firstId]!) < LOGPROB_TOLERANCE, `${lp.token_logprobs![0]} vs ${expected[firstId]}`);
  const alternatives = Object.values(lp.top_logprobs![0]!).sort((a, b) => b - a);
  assert.equal(alternatives.length, 2);
  alternatives.forEach((logprob, i) => assert.ok(Math.abs(logprob - expected[[firstId, runnerUp][i]!]!) < LOGPROB_TOLERANCE, `${logprob}`));
  // Offsets into prompt + completion, as OpenAI's: the first token starts where the prompt ends.
  const full = reference.prompt + text;
  lp.text_offset!.forEach((offset, i) => assert.equal(full.slice(offset, offset + lp.tokens![i]!.length), lp.tokens![i]));
  assert.equal(lp.text_offset![0], reference.prompt.length);

  // The streamed chunks carry the same offsets.
  const stream = await client.completions.create({ model: 'stories260K', prompt: reference.prompt, max_tokens: n, temperature: 0, logprobs: 2, stream: true });
  const offsets: number[] = [];
  for await (const chunk of stream) offsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
  assert.deepEqual(offsets, lp.text_offset);

  const chat = await client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'Hi' }], max_tokens: n, temperature: 0, logprobs: true, top_logprobs: 2, logit_bias: { [EOS]: -100 } });
  const content = chat.choices[0]!.logprobs!.content!;
  assert.equal(content.map((entry) => entry.token).join(''), chat.choices[0]!.message.content);
  for (const entry of [...content, ...content.flatMap((e) => e.top_logprobs)]) {
    assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, 'utf8')]);
    assert.ok(!entry.token.includes('\u2581'));
  }
});

test('a base URL written with a trailing slash still reaches the endpoints', async () => {
  const client = new OpenAI({ baseURL: `${t.url}/v1/`, apiKey: 'k', maxRetries: 0 });
  assert.deepEqual((await client.models.list()).data.map((m) => m.id), ['stories260K']);
  for (const path of ['/v1/models/', '//v1/models']) {
    const response = await fetch(`${t.url}${path}`, { headers: auth });
    assert.equal(response.status, 200, path);
    assert.equal(((await response.json()) as any).object, 'list', path);
  }
});

test('what the server cannot honour is refused by name, not ignored: JSON mode, tools, top_logprobs without logprobs, too many stops, suffix, best_of', async () => {
  const chat = { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 };
  const cases: Array<[object, string, RegExp]> = [
    [{ response_format: { type: 'json_object' } }, 'response_format.type', /JSON/],
    [{ tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools', /function calling/],
    [{ top_logprobs: 2 }, 'top_logprobs', /logprobs: true/],
    [{ stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, 'stop', /at most 16/],
    [{ stop: 5 }, 'stop', /string or an array/],
  ];
  for (const [fields, param, message] of cases) {
    const r = await postJSON(`${t.url}/v1/chat/completions`, { ...chat, ...fields }, auth);
    assert.equal(r.status, 400, JSON.stringify(fields));
    const error = openAIError(r.json);
    assert.equal(error.param, param);
    assert.match(error.message, message);
  }
  for (const [fields, param] of [[{ suffix: ' the end.' }, 'suffix'], [{ best_of: 3 }, 'best_of']] as const) {
    const r = await postJSON(`${t.url}/v1/completions`, { prompt: 'Once', max_tokens: 2, ...fields }, auth);
    assert.equal(r.status, 400, JSON.stringify(fields));
    assert.equal(openAIError(r.json).param, param);
  }
  // What a client sends by default stays accepted: no tools, plain text, OpenAI's 4 stops and more.
  const ok = await postJSON(`${t.url}/v1/chat/completions`, { ...chat, tools: [], response_format: { type: 'text' }, stop: ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'] }, auth);
  assert.equal(ok.status, 200);
});

test("a request while the model loads gets 503 with Retry-After, as a busy server's 429 does (server-load)", async () => {
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  const loading = await startServer({ modelPath: 'assets/stories260K.gguf', port: 0, load: async (path, options) => (await gate, loadModel(path, options)) });
  try {
    const r = await postJSON(`${loading.url}/v1/completions`, { prompt: 'x' });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(openAIError(r.json).code, 'model_loading');
  } finally {
    finish();
    await loading.ready;
    await loading.close();
  }
});

test('/tokenize with_pieces shows each piece as text, or as its bytes when it is part of a character (as llama-server)', async () => {
  const text = 'Once upon ✓';
  const r = await postJSON(`${t.url}/tokenize`, { content: text, add_special: false, with_pieces: true }, auth);
  const pieces = r.json.tokens as Array<{ id: number; piece: string | number[] }>;
  const plain = await postJSON(`${t.url}/tokenize`, { content: text, add_special: false }, auth);
  assert.deepEqual(pieces.map((p) => p.id), plain.json.tokens);
  // stories260K has no token for ✓: it is spelled in byte tokens, each shown as its byte.
  assert.ok(pieces.some((p) => Array.isArray(p.piece)));
  assert.ok(!pieces.some((p) => typeof p.piece === 'string' && p.piece.includes('\u2581')));
  const bytes = Buffer.concat(pieces.map((p) => (typeof p.piece === 'string' ? Buffer.from(p.piece, 'utf8') : Buffer.from(p.piece))));
  // SentencePiece writes the text with a leading space (its dummy prefix).
  assert.equal(bytes.toString('utf8'), ` ${text}`);
});

test("seed -1 is llama.cpp's random seed: repeated requests differ, while a fixed seed repeats", async () => {
  const ask = async (seed: number) => (await postJSON(`${t.url}/v1/completions`, { prompt: reference.prompt, max_tokens: 24, temperature: 1.5, seed }, auth)).json.choices[0].text as string;
  const random = new Set([await ask(-1), await ask(-1), await ask(-1), await ask(-1)]);
  assert.ok(random.size > 1, 'four seed -1 completions were all the same');
  assert.equal(await ask(7), await ask(7));
});

test('a generation ending at EOS with text held back for a stop string: usage, logprobs and metrics count real tokens only', async () => {
  // As generate.ts ends at an end-of-generation token: one last step, without logprobs, releasing the text
  // it held back (here "." for the stop string ".\n"); the result's count excludes it.
  const steps: GenerationChunk[] = [
    { text: ' Hi', tokenId: 400, logprob: { tokenId: 400, token: '▁Hi', logprob: -0.5 }, topLogprobs: [] },
    { text: '', tokenId: 30, logprob: { tokenId: 30, token: '.', logprob: -0.25 }, topLogprobs: [] },
    { text: '.', tokenId: EOS },
  ];
  const scripted = await startTestServer({
    load: async (path, options) => {
      const model = await loadModel(path, options);
      return {
        path: model.path, config: model.config, tokenizer: model.tokenizer, chatTemplate: model.chatTemplate, contextLength: model.contextLength,
        dispose: () => model.dispose(),
        async *generate(): AsyncGenerator<GenerationChunk, GenerationResult, undefined> {
          yield* steps;
          return { finishReason: 'stop', promptTokens: 2, completionTokens: 2, promptMs: 0, generateMs: 0 };
        },
      };
    },
  });
  try {
    const r = await postJSON(`${scripted.url}/v1/completions`, { prompt: 'Once', logprobs: 0, stop: '.\n' });
    const choice = r.json.choices[0];
    assert.equal(choice.text, ' Hi.');
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(r.json.usage.completion_tokens, 2);
    assert.deepEqual(choice.logprobs.token_logprobs, [-0.5, -0.25]);
    const native = await postJSON(`${scripted.url}/generate`, { prompt: 'Once' });
    assert.equal(native.json.usage.completion_tokens, 2);
    const metrics = await (await fetch(`${scripted.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'realizar_generated_tokens_total'), 4);
  } finally {
    await scripted.close();
  }
});
