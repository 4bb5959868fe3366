import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChatTemplate, strftime, type ChatMessage } from '../src/chat/template.js';
import { builtinTemplate, guessBuiltinTemplate, resolveChatTemplate, BUILTIN_TEMPLATE_NAMES } from '../src/chat/builtin.js';
import { RealizarError } from '../src/errors.js';

const TEMPLATES = '../shared/templates';

interface RenderingCase {
  template: string;
  conversation: string;
  messages: ChatMessage[];
  add_generation_prompt: boolean;
  bos_token: string;
  eos_token: string;
  expected: string;
}

const expected = JSON.parse(readFileSync(`${TEMPLATES}/expected-renderings.json`, 'utf8')) as { cases: RenderingCase[] };
// The reference renderer pinned strftime_now to this day.
const PINNED_NOW = () => new Date(2026, 0, 15, 12, 0, 0);

const conversations = new Map<string, ChatMessage[]>();
for (const c of expected.cases) conversations.set(c.conversation, c.messages);

test('expected-renderings.json holds the three conversations for every template', () => {
  assert.ok(expected.cases.length >= 130, `only ${expected.cases.length} cases`);
  assert.deepEqual([...conversations.keys()].sort(), ['system-multi-turn', 'unicode', 'user-only']);
});

test('every template renders every case exactly as Python jinja2 (transformers settings) does', () => {
  const parsed = new Map<string, ChatTemplate>();
  const failures: string[] = [];
  let matched = 0;
  for (const c of expected.cases) {
    let template = parsed.get(c.template);
    if (!template) {
      template = new ChatTemplate(c.template, readFileSync(`${TEMPLATES}/${c.template}`, 'utf8'));
      parsed.set(c.template, template);
    }
    let actual: string;
    try {
      actual = template.render(c.messages, { addGenerationPrompt: c.add_generation_prompt, bosToken: c.bos_token, eosToken: c.eos_token, now: PINNED_NOW });
    } catch (err) {
      failures.push(`${c.template} ${c.conversation} agp=${c.add_generation_prompt}: threw ${(err as Error).message}`);
      continue;
    }
    if (actual === c.expected) matched++;
    else failures.push(`${c.template} ${c.conversation} agp=${c.add_generation_prompt}: ${JSON.stringify(actual.slice(0, 200))}`);
  }
  assert.deepEqual(failures, []);
  assert.equal(matched, expected.cases.length);
});

test('tool-use templates rendered without tools behave as in Python jinja2: an undefined loop is empty, None filters to nothing', () => {
  const options = { addGenerationPrompt: false, bosToken: '', eosToken: '' };
  const messages = [{ role: 'user', content: 'x' }];
  const loop = new ChatTemplate('loop', '{% for t in tools %}[{{ t }}]{% else %}no tools{% endfor %}|{% for t in tools if t %}{{ t }}{% endfor %}');
  assert.equal(loop.render(messages, options), 'no tools|');
  const filters = new ChatTemplate('filters', "{% set tools = none %}{{ tools | selectattr('type', 'equalto', 'x') | list | length }}{{ tools | map(attribute='name') | list | length }}");
  assert.equal(filters.render(messages, options), '00');
  // Defined values keep the library's behaviour.
  const defined = new ChatTemplate('defined', "{% for m in messages %}{{ m.content }}{% endfor %}{{ messages | selectattr('role', 'equalto', 'user') | list | length }}");
  assert.equal(defined.render(messages, options), 'x1');
});

test("a template's raise_exception becomes a BAD_ARGUMENT error (Gemma has no system role)", () => {
  const gemma = new ChatTemplate('gemma', readFileSync(`${TEMPLATES}/google-gemma-2-2b-it.jinja`, 'utf8'));
  assert.throws(
    () => gemma.render(conversations.get('system-multi-turn')!, { addGenerationPrompt: true, bosToken: '<bos>', eosToken: '<eos>' }),
    (err: unknown) => err instanceof RealizarError && err.code === 'BAD_ARGUMENT' && /System role not supported/.test(err.message),
  );
});

test('a template that does not parse is refused when loaded', () => {
  assert.throws(() => new ChatTemplate('broken', '{% for m in messages %}{{ m.content }'), (err: unknown) => err instanceof RealizarError && err.code === 'BAD_FILE');
});

// Built-ins against independent renderings: each template from another author (Ollama's family templates,
// Microsoft's Phi-3.5 template) must produce the same text for the conversations it supports.
const ollama = readFileSync(`${TEMPLATES}/ollama-templates.jsonl`, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => Object.entries(JSON.parse(line) as Record<string, string>)[0]!);

function ollamaTemplate(family: string, pick: (source: string) => boolean): ChatTemplate {
  const found = ollama.find(([name, source]) => name === family && pick(source));
  assert.ok(found, `no ${family} template in ollama-templates.jsonl`);
  return new ChatTemplate(`ollama ${family}`, found[1]);
}

function assertSameRendering(ours: ChatTemplate, theirs: ChatTemplate, conversationNames: string[], bos = '<s>', eos = '</s>') {
  for (const name of conversationNames) {
    for (const addGenerationPrompt of [true, false]) {
      const options = { addGenerationPrompt, bosToken: bos, eosToken: eos };
      assert.equal(ours.render(conversations.get(name)!, options), theirs.render(conversations.get(name)!, options), `${ours.name} ${name} agp=${addGenerationPrompt}`);
    }
  }
}

test('built-in chatml matches the plain ChatML template', () => {
  const plain = ollamaTemplate('chatml', (s) => s.startsWith("{% for message in messages %}{{'<|im_start|>' + message['role']"));
  assertSameRendering(builtinTemplate('chatml'), plain, ['user-only', 'system-multi-turn', 'unicode']);
});

test('built-in llama2 matches the Llama 2 chat template', () => {
  const llama2 = ollamaTemplate('llama2-chat', (s) => s.includes('| trim'));
  for (const name of ['user-only', 'system-multi-turn', 'unicode']) {
    // Llama 2's template never adds a generation prompt: [/INST] already ends the prompt.
    const options = { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' };
    assert.equal(builtinTemplate('llama2').render(conversations.get(name)!, options), llama2.render(conversations.get(name)!, options), name);
  }
});

test('built-in llama3 matches the Llama 3 instruct template', () => {
  assertSameRendering(builtinTemplate('llama3'), ollamaTemplate('llama3-instruct', () => true), ['user-only', 'system-multi-turn', 'unicode'], '<|begin_of_text|>', '<|eot_id|>');
});

test('built-in mistral matches the Mistral instruct template, and folds a system message into the first turn', () => {
  const mistral = ollamaTemplate('mistral-instruct', (s) => s.includes('eos_token}}'));
  for (const name of ['user-only', 'unicode']) {
    const options = { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' };
    assert.equal(builtinTemplate('mistral').render(conversations.get(name)!, options), mistral.render(conversations.get(name)!, options), name);
  }
  const rendered = builtinTemplate('mistral').render(conversations.get('system-multi-turn')!, { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' });
  assert.equal(rendered, '<s>[INST] You are a helpful assistant.\n\nWhat is 2+2? [/INST]2+2 equals 4.</s>[INST] And 3+3? [/INST]');
});

test("built-in phi3 renders as Microsoft's Phi-3.5-mini-instruct template (expected-renderings)", () => {
  const phi = expected.cases.filter((c) => c.template === 'microsoft-Phi-3.5-mini-instruct.jinja');
  assert.equal(phi.length, 6);
  for (const c of phi) {
    const actual = builtinTemplate('phi3').render(c.messages, { addGenerationPrompt: c.add_generation_prompt, bosToken: c.bos_token, eosToken: c.eos_token });
    assert.equal(actual, c.expected, `${c.conversation} agp=${c.add_generation_prompt}`);
  }
});

test('built-in alpaca writes the Stanford Alpaca instruction format', () => {
  const options = { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' };
  assert.equal(
    builtinTemplate('alpaca').render([{ role: 'user', content: 'Name a color.' }], options),
    'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a color.\n\n### Response:\n',
  );
});

test('built-in raw writes role: content lines and ends with the assistant label', () => {
  const messages = conversations.get('system-multi-turn')!;
  const options = { bosToken: '<s>', eosToken: '</s>' };
  assert.equal(
    builtinTemplate('raw').render(messages, { ...options, addGenerationPrompt: true }),
    'system: You are a helpful assistant.\nuser: What is 2+2?\nassistant: 2+2 equals 4.\nuser: And 3+3?\nassistant:',
  );
  assert.equal(builtinTemplate('raw').render(messages, { ...options, addGenerationPrompt: false }).endsWith('user: And 3+3?\n'), true);
});

test('llama2 and mistral built-ins reject roles that do not alternate', () => {
  const twoUsers = [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }];
  for (const name of ['llama2', 'mistral'] as const) {
    assert.throws(() => builtinTemplate(name).render(twoUsers, { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' }), (err: unknown) => err instanceof RealizarError && err.code === 'BAD_ARGUMENT');
  }
});

test('a model without a template gets a built-in by its control tokens, then its name; a base model gets raw', () => {
  const hints = (name: string, tokens: string[] = []) => ({ name, architecture: 'llama', hasToken: (t: string) => tokens.includes(t) });
  assert.equal(guessBuiltinTemplate(hints('anything', ['<|im_start|>'])), 'chatml');
  assert.equal(guessBuiltinTemplate(hints('anything', ['<|start_header_id|>'])), 'llama3');
  assert.equal(guessBuiltinTemplate(hints('anything', ['<|assistant|>', '<|end|>'])), 'phi3');
  assert.equal(guessBuiltinTemplate(hints('Meta-Llama-3-8B-Instruct')), 'llama3');
  assert.equal(guessBuiltinTemplate(hints('Llama-2-7b-chat')), 'llama2');
  assert.equal(guessBuiltinTemplate(hints('Mistral-7B-Instruct-v0.1')), 'mistral');
  assert.equal(guessBuiltinTemplate(hints('Qwen2.5-0.5B')), 'chatml');
  assert.equal(guessBuiltinTemplate(hints('stories260K')), 'raw');
});

test('--chat-template picks a built-in by name, reads a file by path, and refuses anything else', () => {
  const hints = { name: 'x', architecture: 'llama', hasToken: () => false };
  assert.equal(resolveChatTemplate('chatml', '{{ "model" }}', hints).name, 'chatml');
  assert.equal(resolveChatTemplate(`${TEMPLATES}/Qwen2.jinja`, undefined, hints).source, readFileSync(`${TEMPLATES}/Qwen2.jinja`, 'utf8'));
  assert.equal(resolveChatTemplate(undefined, '{{ "model" }}', hints).name, 'tokenizer.chat_template');
  assert.equal(resolveChatTemplate(undefined, undefined, hints).name, 'raw');
  assert.throws(() => resolveChatTemplate('no-such-template', undefined, hints), (err: unknown) => err instanceof RealizarError && err.code === 'MISSING' && /no-such-template/.test(err.message));
  assert.deepEqual(BUILTIN_TEMPLATE_NAMES, ['chatml', 'llama2', 'llama3', 'mistral', 'phi3', 'alpaca', 'raw']);
});

test('strftime writes English month and day names whatever the locale', () => {
  const day = new Date(2026, 0, 15, 9, 5, 7);
  assert.equal(strftime(day, '%d %b %Y'), '15 Jan 2026');
  assert.equal(strftime(day, '%A %B %j %H:%M:%S %%'), 'Thursday January 015 09:05:07 %');
});
