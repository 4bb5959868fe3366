import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { EOS, postJSON, startTestServer, type TestServer } from './server-helpers.js';

// llama.cpp's greedy continuation of "Once upon a time" on stories260K: the oracle for what the API generates.
const reference = JSON.parse(readFileSync('../shared/reference/logits/stories260K.0.json', 'utf8')) as {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  greedy_text: string;
};

let t: TestServer;
let client: OpenAI;

before(async () => {
  t = await startTestServer({ modelAlias: 'stories' });
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => t.close());

test('GET /v1/models lists the served model under its alias', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => [m.id, m.object, m.owned_by]), [['stories', 'model', 'realizar']]);
  assert.equal((await client.models.retrieve('stories')).id, 'stories');
});

test("completions at temperature 0 continue the prompt exactly as llama.cpp's greedy decoding", async () => {
  const n = 24;
  const completion = await client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: n, temperature: 0 });
  const expected = await postJSON(`${t.url}/detokenize`, { tokens: reference.greedy_ids.slice(0, n) });
  assert.equal(completion.choices[0]!.text, expected.json.content);
  assert.ok(reference.greedy_text.startsWith(completion.choices[0]!.text));
  assert.equal(completion.choices[0]!.finish_reason, 'length');
  assert.deepEqual(completion.usage, { prompt_tokens: reference.prompt_ids.length, completion_tokens: n, total_tokens: reference.prompt_ids.length + n });
  assert.match(completion.id, /^cmpl-/);
  assert.equal(completion.object, 'text_completion');
});

test('completions accept the prompt as token ids', async () => {
  const completion = await client.completions.create({ model: 'stories', prompt: reference.prompt_ids, max_tokens: 8, temperature: 0 });
  assert.ok(reference.greedy_text.startsWith(completion.choices[0]!.text));
  assert.ok(completion.choices[0]!.text.length > 0);
});

test('a streamed completion is the same text, in OpenAI chunks, ending with usage when asked', async () => {
  const stream = await client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: 20, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = '';
  const finishes: (string | null)[] = [];
  let usage;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'text_completion');
    for (const choice of chunk.choices) {
      text += choice.text;
      finishes.push(choice.finish_reason);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks > 3);
  assert.ok(reference.greedy_text.startsWith(text) && text.length > 20, JSON.stringify(text));
  assert.equal(finishes.at(-1), 'length');
  assert.ok(finishes.slice(0, -1).every((f) => f === null));
  assert.deepEqual(usage, { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 });
});

test('chat: the reply, streamed or not, is the same greedy text, with role, finish reason and usage', async () => {
  const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];
  const whole = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 30, temperature: 0, logit_bias: { [EOS]: -100 } });
  const reply = whole.choices[0]!;
  assert.equal(reply.message.role, 'assistant');
  assert.equal(reply.finish_reason, 'length');
  assert.ok(reply.message.content!.length > 0);
  assert.match(whole.id, /^chatcmpl-/);
  // stories260K has no chat template, so the built-in raw format is used: BOS + "user: ...\nassistant:".
  const prompt = await postJSON(`${t.url}/tokenize`, { content: 'user: Tell me a story.\nassistant:' });
  assert.deepEqual(whole.usage, { prompt_tokens: prompt.json.tokens.length, completion_tokens: 30, total_tokens: prompt.json.tokens.length + 30 });
  const raw = await client.completions.create({ model: 'stories', prompt: 'user: Tell me a story.\nassistant:', max_tokens: 30, temperature: 0, logit_bias: { [EOS]: -100 } });
  assert.equal(reply.message.content, raw.choices[0]!.text);

  const stream = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 30, temperature: 0, logit_bias: { [EOS]: -100 }, stream: true, stream_options: { include_usage: true } });
  const events: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) events.push(chunk);
  assert.equal(events[0]!.choices[0]!.delta.role, 'assistant');
  assert.ok(events.every((e) => e.object === 'chat.completion.chunk' && e.id === events[0]!.id));
  const text = events.flatMap((e) => e.choices.map((c) => c.delta.content ?? '')).join('');
  assert.equal(text, reply.message.content);
  const finish = events.flatMap((e) => e.choices.map((c) => c.finish_reason)).filter((f) => f !== null);
  assert.deepEqual(finish, ['length']);
  const last = events.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
});

test('the raw SSE stream is OpenAI\'s wire format and ends with data: [DONE]', async () => {
  const response = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, stream: true, temperature: 0 }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^text\/event-stream/);
  const body = await response.text();
  const events = body.split('\n\n').filter((e) => e !== '');
  assert.ok(events.every((e) => e.startsWith('data: ')), body);
  assert.equal(events.at(-1), 'data: [DONE]');
  for (const event of events.slice(0, -1)) assert.equal(JSON.parse(event.slice(6)).object, 'chat.completion.chunk');
});

test('max_completion_tokens limits a chat reply like max_tokens', async () => {
  const reply = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 7, temperature: 0, logit_bias: { [EOS]: -100 } });
  assert.equal(reply.usage!.completion_tokens, 7);
  assert.equal(reply.choices[0]!.finish_reason, 'length');
});

test('a stop string ends the text just before it (the greedy text cut at its first occurrence)', async () => {
  const full = reference.greedy_text;
  const stop = ' Lily';
  const completion = await client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: 60, temperature: 0, stop: [stop, 'never-appears'] });
  assert.equal(completion.choices[0]!.text, full.slice(0, full.indexOf(stop)));
  assert.equal(completion.choices[0]!.finish_reason, 'stop');
  const single = await client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: 60, temperature: 0, stop: '.' });
  assert.equal(single.choices[0]!.text, full.slice(0, full.indexOf('.')));
});

test('logprobs: one entry per token, the greedy choice is the most likely alternative, probabilities sum to at most 1', async () => {
  const reply = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3, logit_bias: { [EOS]: -100 } });
  const content = reply.choices[0]!.logprobs!.content!;
  assert.equal(content.length, 6);
  for (const entry of content) {
    assert.equal(entry.top_logprobs.length, 3);
    assert.ok(entry.logprob <= 0);
    assert.equal(entry.logprob, Math.max(...entry.top_logprobs.map((alt) => alt.logprob)));
    assert.ok(entry.top_logprobs.reduce((sum, alt) => sum + Math.exp(alt.logprob), 0) <= 1 + 1e-6);
    assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, 'utf8')]);
  }
  const completion = await client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: 4, temperature: 0, logprobs: 2 });
  const lp = completion.choices[0]!.logprobs!;
  assert.equal(lp.tokens!.length, 4);
  assert.equal(lp.token_logprobs!.length, 4);
  assert.ok(lp.top_logprobs!.every((alts) => Object.keys(alts).length === 2));
  const offsets = lp.text_offset!;
  // Offsets count from the start of the prompt, as OpenAI's (server-compat checks them character by character).
  assert.equal(offsets[0], reference.prompt.length);
  assert.ok(offsets.every((o, i) => i === 0 || o >= offsets[i - 1]!) && offsets.at(-1)! < reference.prompt.length + completion.choices[0]!.text.length);
});

test('logit_bias -100 bans a token: the greedy first token never comes', async () => {
  const first = reference.greedy_ids[0]!;
  const banned = await postJSON(`${t.url}/generate`, { prompt: reference.prompt, max_tokens: 3, temperature: 0, logit_bias: { [first]: -100 } });
  assert.equal(banned.status, 200);
  assert.notEqual(banned.json.tokens[0], first);
  assert.ok(!banned.json.tokens.includes(first));
});

test('a seed makes a sampled completion reproducible; penalties are accepted', async () => {
  const ask = (seed: number) =>
    client.completions.create({ model: 'stories', prompt: reference.prompt, max_tokens: 20, temperature: 1, seed, presence_penalty: 0.5, frequency_penalty: 0.5, top_p: 0.9 });
  const [a, b] = [await ask(42), await ask(42)];
  assert.equal(a.choices[0]!.text, b.choices[0]!.text);
});

test('n other than 1, an unknown model, a wrong type, a bad role: 4xx OpenAI errors naming the problem', async () => {
  await assert.rejects(client.completions.create({ model: 'stories', prompt: 'x', n: 2 }), (err: unknown) => err instanceof OpenAI.BadRequestError && /n/.test(err.message) && err.param === 'n');
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found' && /gpt-4o/.test(err.message),
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'temperature',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'stories', messages: [{ role: 'wizard' as 'user', content: 'x' }] }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'messages.0.role',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'stories', messages: [] }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'messages',
  );
});

test('a chat template that writes BOS itself gets no second one (llama2 format on stories260K)', async () => {
  const llama2 = await startTestServer({ chatTemplate: 'llama2' });
  try {
    const reply = await postJSON(`${llama2.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
    assert.equal(reply.status, 200);
    const rendered = await postJSON(`${llama2.url}/tokenize`, { content: '<s>[INST] Hi [/INST]', parse_special: true, add_special: false });
    assert.equal(rendered.json.tokens[0], 1);
    assert.equal(rendered.json.tokens.filter((id: number) => id === 1).length, 1);
    assert.equal(reply.json.usage.prompt_tokens, rendered.json.tokens.length);
  } finally {
    await llama2.close();
  }
});

test('--chat-template FILE: the prompt is the Jinja rendering Python jinja2 gives (expected-renderings.json)', async () => {
  const cases = JSON.parse(readFileSync('../shared/templates/expected-renderings.json', 'utf8')).cases as Array<{
    template: string;
    conversation: string;
    add_generation_prompt: boolean;
    messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
    expected: string;
  }>;
  const qwen = await startTestServer({ chatTemplate: '../shared/templates/Qwen2.jinja' });
  try {
    for (const c of cases.filter((c) => c.template === 'Qwen2.jinja' && c.add_generation_prompt)) {
      const rendered = await postJSON(`${qwen.url}/apply-template`, { messages: c.messages });
      assert.equal(rendered.json.prompt, c.expected, c.conversation);
      const reply = await postJSON(`${qwen.url}/v1/chat/completions`, { messages: c.messages, max_tokens: 1 });
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      const expected = await postJSON(`${qwen.url}/tokenize`, { content: c.expected, parse_special: true });
      assert.equal(reply.json.usage.prompt_tokens, expected.json.tokens.length, c.conversation);
    }
  } finally {
    await qwen.close();
  }
});
