import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EOS, metricValue, openAIError, postJSON, startTestServer, type TestServer } from './server-helpers.js';

/**
 * A generation long enough to still be running while a test looks at the server (the WebAssembly
 * backend makes stories260K's 512 trained positions last under 0.1 s): EOS banned, in a 4096 context.
 */
const CONTEXT = 4096;
const LONG = { prompt: 'Once upon a time', max_tokens: CONTEXT - 100, temperature: 0, logit_bias: { [EOS]: -100 } };

let t: TestServer;
before(async () => {
  t = await startTestServer({ parallel: 1, queueSize: 1, contextLength: CONTEXT });
});
after(() => t.close());

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Opens a streamed completion and resolves once its first token has arrived. */
async function startStream(url: string, body: object, signal?: AbortSignal) {
  const response = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }), ...(signal ? { signal } : {}) });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  return reader;
}

async function waitFor(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return condition();
}

test('/health and /metrics answer within 100 ms while a generation runs', async () => {
  const controller = new AbortController();
  const reader = await startStream(t.url, LONG, controller.signal);
  const times: Record<string, number[]> = { '/health': [], '/metrics': [] };
  try {
    for (let i = 0; i < 9; i++) {
      for (const path of ['/health', '/metrics']) {
        const began = performance.now();
        const response = await fetch(`${t.url}${path}`);
        const text = await response.text();
        times[path]!.push(performance.now() - began);
        assert.equal(response.status, 200);
        if (path === '/metrics') assert.equal(metricValue(text, 'realizar_requests_in_flight'), 1, 'the generation was no longer running');
      }
    }
  } finally {
    controller.abort();
    await reader.cancel().catch(() => {});
  }
  // The median, so that a moment of CPU contention on a shared machine does not decide; an event loop
  // blocked by the generation would delay every answer until it ended (hundreds of ms).
  for (const [path, ms] of Object.entries(times)) {
    const median = [...ms].sort((x, y) => x - y)[Math.floor(ms.length / 2)]!;
    assert.ok(median < 100, `${path} took ${median.toFixed(1)} ms (median of ${ms.map((m) => m.toFixed(0)).join(', ')})`);
  }
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 0, 2000));
});

test('beyond --parallel requests queue; past the queue the server answers 429 with an OpenAI error', async () => {
  // One running (its first token seen), one waiting (the queue holds one): a third is one too many.
  const running = new AbortController();
  const reader = await startStream(t.url, LONG, running.signal);
  const queued = postJSON(`${t.url}/generate`, { ...LONG, max_tokens: 20 });
  try {
    assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_queue_depth') === 1, 2000), 'the second request never queued');
    const refused = await postJSON(`${t.url}/v1/completions`, { ...LONG, max_tokens: 5 });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    const error = openAIError(refused.json);
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.code, 'queue_full');
  } finally {
    running.abort();
    await reader.cancel().catch(() => {});
  }
  const waited = await queued;
  assert.equal(waited.status, 200, 'the queued request ran once the slot was free');
  const alone = await postJSON(`${t.url}/generate`, { ...LONG, max_tokens: 20 });
  assert.deepEqual(waited.json.tokens, alone.json.tokens);
  assert.equal(metricValue(await metrics(t.url), 'realizar_queue_depth'), 0);
});

test('a client that disconnects stops its generation at once', async () => {
  const before = await metrics(t.url);
  const controller = new AbortController();
  const reader = await startStream(t.url, LONG, controller.signal);
  controller.abort();
  await reader.cancel().catch(() => {});
  const stoppedAt = performance.now();
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 0, 1000), 'the generation kept running');
  assert.ok(performance.now() - stoppedAt < 1000);
  const after = await metrics(t.url);
  const generated = metricValue(after, 'realizar_generated_tokens_total') - metricValue(before, 'realizar_generated_tokens_total');
  assert.ok(generated < LONG.max_tokens / 2, `${generated} tokens were generated after the client left`);
  assert.equal(metricValue(after, 'realizar_requests_total', 'endpoint="/v1/completions",status="499"') - metricValue(before, 'realizar_requests_total', 'endpoint="/v1/completions",status="499"'), 1);
  assert.match([...t.log].reverse().find((line) => line.includes("/v1/completions"))!, / 499 /);

  // Not streamed: the client gives up while waiting for the whole reply.
  const waiting = new AbortController();
  const pending = fetch(`${t.url}/generate`, { method: 'POST', body: JSON.stringify(LONG), signal: waiting.signal }).catch((err: Error) => err);
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 1, 1000));
  waiting.abort();
  assert.ok((await pending) instanceof Error);
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 0, 1000), 'the generation kept running');
});

test('a queued request whose client leaves gives up its place without running', async () => {
  const running = new AbortController();
  const reader = await startStream(t.url, LONG, running.signal);
  const before = await metrics(t.url);
  const queued = new AbortController();
  const pending = fetch(`${t.url}/generate`, { method: 'POST', body: JSON.stringify(LONG), signal: queued.signal }).catch((err: Error) => err);
  try {
    assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_queue_depth') === 1, 2000), 'the request never queued');
    queued.abort();
    assert.ok((await pending) instanceof Error);
    assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_queue_depth') === 0, 1000), 'the request stayed queued');
    const after = await metrics(t.url);
    const label = 'endpoint="/generate",status="499"';
    assert.equal(metricValue(after, 'realizar_requests_total', label) - metricValue(before, 'realizar_requests_total', label), 1);
    assert.equal(metricValue(after, 'realizar_requests_in_flight'), 1);
  } finally {
    running.abort();
    await reader.cancel().catch(() => {});
  }
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 0, 2000));
});

test('streams dropped as soon as their headers arrive never leak a generation slot', async () => {
  for (let i = 0; i < 20; i++) {
    const controller = new AbortController();
    const response = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 300, logit_bias: { [EOS]: -100 }, stream: true }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    controller.abort();
  }
  assert.ok(await waitFor(async () => metricValue(await metrics(t.url), 'realizar_requests_in_flight') === 0, 2000), 'a slot stayed taken');
  const normal = await postJSON(`${t.url}/generate`, { prompt: 'Once upon a time', max_tokens: 3, temperature: 0 });
  assert.equal(normal.status, 200);
});

test('--parallel 2 runs two generations at once, each exactly as it runs alone', async () => {
  const two = await startTestServer({ parallel: 2, contextLength: CONTEXT });
  try {
    const prompts = ['Once upon a time', 'The little dog ran to the park and'];
    const ask = (prompt: string) => postJSON(`${two.url}/generate`, { prompt, max_tokens: 1000, temperature: 0, logit_bias: { [EOS]: -100 } });
    const alone = [await ask(prompts[0]!), await ask(prompts[1]!)];
    let peak = 0;
    const watching = (async () => {
      for (let i = 0; i < 200 && peak < 2; i++) {
        peak = Math.max(peak, metricValue(await metrics(two.url), 'realizar_requests_in_flight'));
      }
    })();
    const together = await Promise.all(prompts.map(ask));
    await watching;
    assert.equal(peak, 2, 'the two generations never overlapped');
    assert.deepEqual(together.map((r) => r.json.tokens), alone.map((r) => r.json.tokens));
  } finally {
    await two.close();
  }
});

/** mulberry32: a small seeded generator, so that a failing fuzz case can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('a few hundred malformed and random requests never crash the server; a normal one still succeeds', async () => {
  const rand = random(20261123);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const paths = ['/v1/chat/completions', '/v1/completions', '/generate', '/tokenize', '/detokenize', '/v1/models', '/health', '/metrics', '/v1/models/x', '/%ZZ', '/v1/../generate', '/' + 'a'.repeat(3000)];
  const values = [null, true, -1, 0, 1e308, -0.5, 3, 'x', '', '\u0000\ud800', [], [1, 'a'], {}, { a: { b: [] } }, 'Once upon a time', [1, 2, 99999], 2 ** 53];
  const fields = ['prompt', 'messages', 'max_tokens', 'temperature', 'top_p', 'stop', 'n', 'stream', 'logit_bias', 'seed', 'logprobs', 'top_logprobs', 'content', 'tokens', 'model', 'stream_options', 'presence_penalty'];
  const body = (): string => {
    switch (Math.floor(rand() * 6)) {
      case 0: // random bytes
        return Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256))).toString('latin1');
      case 1: // truncated valid JSON
        return JSON.stringify({ prompt: 'Once', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] }).slice(0, Math.floor(rand() * 60));
      case 2:
        return JSON.stringify(pick(values));
      case 3: // deep nesting
        return '['.repeat(Math.floor(rand() * 5000)) + ']'.repeat(Math.floor(rand() * 5000));
      default: {
        // a plausible request with some fields of wrong types; generations kept short
        const object: Record<string, unknown> = { max_tokens: Math.floor(rand() * 4) };
        for (let i = 0; i < 1 + rand() * 5; i++) object[pick(fields)] = pick(values);
        if (rand() < 0.5) object.messages = [{ role: pick(['user', 'system', 'assistant', 'x', 3]), content: pick(values) }];
        if (typeof object.max_tokens !== 'number' || object.max_tokens > 4) object.max_tokens = 1;
        return JSON.stringify(object);
      }
    }
  };
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const method = pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE']);
    const headers: Record<string, string> = {};
    const type = pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1']);
    if (type !== '') headers['content-type'] = type;
    const response = await fetch(`${t.url}${pick(paths)}`, { method, headers, ...(method === 'GET' ? {} : { body: body() }) });
    await response.arrayBuffer();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    assert.ok(response.status < 500, `request ${i}: ${response.status}`);
  }
  assert.ok((statuses.get(400) ?? 0) > 100, JSON.stringify([...statuses]));
  const normal = await postJSON(`${t.url}/generate`, { prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
  assert.equal(normal.status, 200);
  assert.equal(normal.json.tokens.length, 5);
});

test('close() during a generation cancels it and finishes promptly', async () => {
  const own = await startTestServer({ contextLength: CONTEXT });
  const reader = await startStream(own.url, LONG);
  const began = performance.now();
  await own.close();
  assert.ok(performance.now() - began < 2000, 'shutdown waited for the generation');
  let ended = false;
  try {
    for (;;) if ((await reader.read()).done) break;
    ended = true;
  } catch {
    ended = true; // the connection was cut
  }
  assert.ok(ended);
});
