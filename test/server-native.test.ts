import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadModel } from '../src/index.js';
import { DEMO_MODEL, metricValue, openAIError, postJSON, startTestServer, type TestServer } from './server-helpers.js';

const reference = JSON.parse(readFileSync('../shared/reference/logits/stories260K.0.json', 'utf8')) as {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  greedy_text: string;
};
const reference2 = JSON.parse(readFileSync('../shared/reference/logits/stories260K.2.json', 'utf8')) as { prompt: string; prompt_ids: number[] };

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

test('the demo asset is stories260K.gguf byte for byte (sha256 published in ../shared/README.md)', () => {
  const published = /([0-9a-f]{64})\s+models\/stories260K\.gguf/.exec(readFileSync('../shared/README.md', 'utf8'))![1];
  assert.equal(createHash('sha256').update(readFileSync(DEMO_MODEL)).digest('hex'), published);
  assert.match(readFileSync('assets/LICENSE', 'utf8'), /MIT License[\s\S]*Andrej Karpathy/);
});

test("POST /generate as curl -d sends it (form content type, or none) returns llama.cpp's greedy tokens", async () => {
  const body = JSON.stringify({ prompt: reference.prompt, max_tokens: 64, temperature: 0 });
  for (const headers of [{ 'content-type': 'application/x-www-form-urlencoded' }, {} as Record<string, string>]) {
    const response = await fetch(`${t.url}/generate`, { method: 'POST', body, headers });
    assert.equal(response.status, 200);
    const json = (await response.json()) as any;
    const n = json.tokens.length;
    assert.deepEqual(json.tokens, reference.greedy_ids.slice(0, n));
    assert.ok(n === 64 || n === reference.greedy_ids.length);
    assert.equal(json.text, reference.greedy_text.slice(0, json.text.length));
    assert.ok(json.text.length > 100);
    assert.deepEqual(json.usage, { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n });
  }
});

test("POST /tokenize gives llama.cpp's ids; /detokenize turns them back into the text", async () => {
  for (const r of [reference, reference2]) {
    const tokens = await postJSON(`${t.url}/tokenize`, { content: r.prompt });
    assert.deepEqual(tokens.json.tokens, r.prompt_ids);
    const bare = await postJSON(`${t.url}/tokenize`, { content: r.prompt, add_special: false });
    assert.deepEqual(bare.json.tokens, r.prompt_ids.slice(1));
    const text = await postJSON(`${t.url}/detokenize`, { tokens: bare.json.tokens });
    assert.equal(text.json.content.trim(), r.prompt);
  }
  const pieces = await postJSON(`${t.url}/tokenize`, { content: 'Once', with_pieces: true });
  assert.deepEqual(pieces.json.tokens.map((p: { id: number }) => p.id), [1, 403]);
  assert.equal(typeof pieces.json.tokens[1].piece, 'string');
  const bad = await postJSON(`${t.url}/detokenize`, { tokens: [1, 99999] });
  assert.equal(bad.status, 400);
  assert.equal(openAIError(bad.json).param, 'tokens');
});

test('/metrics counts requests by endpoint and status, prompt and generated tokens, and has the latency histograms', async () => {
  const before = await (await fetch(`${t.url}/metrics`)).text();
  const gen = await postJSON(`${t.url}/generate`, { prompt: reference.prompt, max_tokens: 10, temperature: 0, logit_bias: { 2: -100 } });
  assert.equal(gen.status, 200);
  await postJSON(`${t.url}/generate`, { prompt: 7 });
  const response = await fetch(`${t.url}/metrics`);
  assert.match(response.headers.get('content-type')!, /^text\/plain/);
  const after = await response.text();
  const delta = (name: string, labels = '') => metricValue(after, name, labels) - metricValue(before, name, labels);
  assert.equal(delta('realizar_requests_total', 'endpoint="/generate",status="200"'), 1);
  assert.equal(delta('realizar_requests_total', 'endpoint="/generate",status="400"'), 1);
  assert.equal(delta('realizar_prompt_tokens_total'), 5);
  assert.equal(delta('realizar_generated_tokens_total'), 10);
  assert.equal(delta('realizar_time_to_first_token_seconds_count'), 1);
  assert.equal(delta('realizar_time_per_output_token_seconds_count'), 9);
  for (const name of ['realizar_queue_depth', 'realizar_requests_in_flight']) assert.equal(metricValue(after, name), 0);
  assert.ok(metricValue(after, 'realizar_model_load_seconds') > 0);
});

test('malformed JSON, wrong types, empty bodies, unknown paths: 4xx with an OpenAI error naming the problem', async () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['/generate', '{"prompt": "x",', 400, /not valid JSON/],
    ['/generate', '', 400, /JSON object/],
    ['/generate', '[1,2]', 400, /JSON object/],
    ['/generate', '{"prompt": 3}', 400, /prompt/],
    ['/generate', '{"prompt": "x", "max_tokens": -1}', 400, /max_tokens/],
    ['/generate', '{"prompt": "x", "top_p": 3}', 400, /top_p/],
    ['/v1/completions', '{"prompt": "x", "logit_bias": {"9999": 1}}', 400, /logit_bias/],
    ['/v1/completions', '{"prompt": "x", "echo": true}', 400, /echo/],
    ['/v1/chat/completions', '{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}', 400, /text/],
    ['/v1/nothing', '{}', 404, /no endpoint/],
  ];
  for (const [path, body, status, message] of cases) {
    const response = await fetch(`${t.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, status, `${path} ${body}`);
    assert.match(openAIError(await response.json()).message, message, `${path} ${body}`);
  }
});

test('a prompt longer than the context is refused with context_length_exceeded', async () => {
  const small = await startTestServer({ contextLength: 32 });
  try {
    const long = 'Once upon a time there was a little girl. '.repeat(10);
    for (const path of ['/generate', '/v1/completions']) {
      const r = await postJSON(`${small.url}${path}`, { prompt: long, max_tokens: 4 });
      assert.equal(r.status, 400);
      const error = openAIError(r.json);
      assert.equal(error.code, 'context_length_exceeded');
      assert.match(error.message, /holds 32/);
    }
  } finally {
    await small.close();
  }
});

test('a body over the size limit gets 413 with an OpenAI error', async () => {
  const small = await startTestServer({ bodyLimit: 1000 });
  try {
    const r = await postJSON(`${small.url}/generate`, { prompt: 'x'.repeat(5000) });
    assert.equal(r.status, 413);
    assert.equal(openAIError(r.json).code, 'request_too_large');
  } finally {
    await small.close();
  }
});

test('--api-key: /v1, /generate, /tokenize and /detokenize need the bearer key; /health does not', async () => {
  const locked = await startTestServer({ apiKey: 'sesame' });
  try {
    const auth = { authorization: 'Bearer sesame' };
    for (const [path, body] of [['/generate', { prompt: 'x', max_tokens: 1 }], ['/tokenize', { content: 'x' }], ['/detokenize', { tokens: [1] }], ['/v1/completions', { prompt: 'x', max_tokens: 1 }]] as const) {
      const denied = await postJSON(`${locked.url}${path}`, body);
      assert.equal(denied.status, 401, path);
      assert.equal(openAIError(denied.json).type, 'authentication_error');
      assert.equal((await postJSON(`${locked.url}${path}`, body, { authorization: 'Bearer wrong' })).status, 401, path);
      assert.equal((await postJSON(`${locked.url}${path}`, body, auth)).status, 200, path);
    }
    assert.equal((await fetch(`${locked.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${locked.url}/v1/models`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${locked.url}/health`)).status, 200);
  } finally {
    await locked.close();
  }
});

test('/health answers 503 while the model loads and 200 once it is ready; the API waits with 503 too', async () => {
  let finishLoading!: () => void;
  const gate = new Promise<void>((resolve) => (finishLoading = resolve));
  const { startServer } = await import('../src/server/app.js');
  const server = await startServer({
    modelPath: DEMO_MODEL,
    port: 0,
    load: async (path, options) => {
      await gate;
      return loadModel(path, options);
    },
  });
  try {
    const loading = await fetch(`${server.url}/health`);
    assert.equal(loading.status, 503);
    assert.deepEqual(await loading.json(), { status: 'loading' });
    const early = await postJSON(`${server.url}/generate`, { prompt: 'x' });
    assert.equal(early.status, 503);
    assert.equal(openAIError(early.json).code, 'model_loading');
    finishLoading();
    await server.ready;
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  } finally {
    await server.close();
  }
});

test('a model that fails to load makes ready reject and /health report the error', async () => {
  const { startServer } = await import('../src/server/app.js');
  const server = await startServer({ modelPath: '../shared/models/no-such-model.gguf', port: 0 });
  try {
    await assert.rejects(server.ready);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 500);
    assert.match(((await health.json()) as { message: string }).message, /no-such-model/);
  } finally {
    await server.close();
  }
});

test('one log line per request, as text or JSON, with method, path, status, tokens and time', async () => {
  const json = await startTestServer({ logFormat: 'json' });
  try {
    await postJSON(`${json.url}/generate?x=1`, { prompt: reference.prompt, max_tokens: 3, temperature: 0, logit_bias: { 2: -100 } });
    await fetch(`${json.url}/health`);
    assert.equal(json.log.length, 2);
    const line = JSON.parse(json.log[0]!);
    assert.deepEqual(
      { method: line.method, path: line.path, status: line.status, prompt: line.prompt_tokens, completion: line.completion_tokens },
      { method: 'POST', path: '/generate', status: 200, prompt: 5, completion: 3 },
    );
    assert.ok(typeof line.ms === 'number' && line.ms >= 0 && !Number.isNaN(Date.parse(line.time)));
  } finally {
    await json.close();
  }
  const before = t.log.length;
  await fetch(`${t.url}/health`);
  assert.equal(t.log.length, before + 1);
  assert.match(t.log.at(-1)!, /^\S+ GET \/health 200 tokens=0\+0 [\d.]+ms$/);
});
