import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, realizar, STORIES } from './cli-spawn.js';

const TEXT = '../shared/reference/ppl/text.txt';
const VOCAB_ONLY = '../shared/vocab/ggml-vocab-llama-spm.gguf';
const GREEDY_FROM_BOS = JSON.parse(readFileSync('../shared/models/stories260K.greedy200.json', 'utf8')) as { text: string };

const dir = mkdtempSync(join(tmpdir(), 'realizar-cli-bad-'));
const ABSENT = join(dir, 'absent.gguf');
after(() => rmSync(dir, { recursive: true, force: true }));

test('bad flag values are refused by flag name before the model is opened', () => {
  // The model path does not exist: a message about the flag proves the flag was checked first.
  const cases: [string[], RegExp][] = [
    [['-n', 'abc'], /^realizar: --n-predict expects an integer >= -1, got 'abc'$/],
    [['-n', '1.5'], /--n-predict expects an integer >= -1, got '1\.5'/],
    [['-n', '-2'], /--n-predict expects an integer >= -1, got '-2'/],
    [['--temp', '-1'], /--temp expects a number >= 0, got '-1'/],
    [['--ctx', '0'], /--ctx expects an integer >= 1, got '0'/],
    [['--threads', '0'], /--threads expects an integer >= 1, got '0'/],
    [['--seed', '1.5'], /--seed expects an integer from -1 to \d+, got '1\.5'/],
    [['--top-k', '-3'], /--top-k expects an integer >= 0, got '-3'/],
    [['--top-p', '2'], /--top-p expects a number from 0 to 1, got '2'/],
    [['--min-p', 'nan'], /--min-p expects a number from 0 to 1, got 'nan'/],
    [['--repeat-penalty', '0'], /--repeat-penalty expects a number > 0, got '0'/],
  ];
  for (const [flags, pattern] of cases) {
    assertOneLineError(realizar(['run', '-m', ABSENT, '-p', 'hi', ...flags]), pattern, flags.join(' '));
  }
  // A llama-quantize mix name and a type without a quantizer; the list offered is what quantizes (quant/ registry).
  assertOneLineError(realizar(['run', '-m', ABSENT, '--quantize', 'q4_k_m']), /unknown tensor type 'q4_k_m'; the quantize option \(--quantize\) takes f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k$/, 'q4_k_m');
  assertOneLineError(realizar(['run', '-m', ABSENT, '--quantize', 'iq2_xxs']), /cannot quantize weights to IQ2_XXS as they load; the quantize option/, 'iq2_xxs');
  assertOneLineError(realizar(['perplexity', '-m', ABSENT, '-f', TEXT, '-c', '2']), /--ctx for perplexity must be at least 4, got 2/, 'perplexity -c 2');
});

test('an unknown backend and an unknown subcommand are usage errors, without a stack trace', () => {
  const backend = realizar(['run', '-m', ABSENT, '--backend', 'cuda']);
  assert.equal(backend.status, 1);
  assert.match(backend.stderr, /argument 'cuda' is invalid\. Allowed choices are wasm, js\./);
  const unknown = realizar(['bogus']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown command 'bogus'/);
  for (const r of [backend, unknown]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('no model, or two: one line saying how to give one', () => {
  assertOneLineError(realizar(['run', '-p', 'hi']), /no model given; pass a \.gguf file or a Hugging Face folder, as the first argument or with -m/, 'run');
  assertOneLineError(realizar(['info']), /no model given/, 'info');
  assertOneLineError(realizar(['info', STORIES, '-m', ABSENT]), /two models given .* pass one/, 'info twice');
});

test('missing, directory, truncated, non-GGUF and vocab-only models: one line naming the problem and what to do', () => {
  const truncatedData = join(dir, 'truncated-data.gguf');
  copyFileSync(STORIES, truncatedData);
  truncateSync(truncatedData, 500_000);
  const truncatedHeader = join(dir, 'truncated-header.gguf');
  copyFileSync(STORIES, truncatedHeader);
  truncateSync(truncatedHeader, 5000);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello\n');

  const missing = /cannot open (model )?\S+absent\.gguf: no such file or directory; check the path \(ENOENT\)/;
  assertOneLineError(realizar(['info', ABSENT]), missing, 'info missing');
  assertOneLineError(realizar(['run', '-m', ABSENT, '-p', 'hi']), missing, 'run missing');
  assertOneLineError(realizar(['info', dir]), /is not a regular file; pass a \.gguf file/, 'info directory');
  assertOneLineError(realizar(['run', '-m', dir, '-p', 'hi']), new RegExp(dir), 'run directory');
  for (const cmd of [['info', truncatedData], ['run', '-m', truncatedData, '-p', 'hi']]) {
    assertOneLineError(realizar(cmd), /tensor '[^']+' offset \d+ is past the end of the 500000-byte file; is the file truncated\? download or convert it again/, cmd.join(' '));
  }
  assertOneLineError(realizar(['info', truncatedHeader]), /truncated GGUF: .* the file has \d+ left; download or convert it again/, 'truncated header');
  assertOneLineError(realizar(['run', '-m', text, '-p', 'hi']), /notes\.txt: not a GGUF file \(magic 0x6c6c6568, expected 'GGUF'\)/, 'non-GGUF');
  assertOneLineError(realizar(['run', '-m', VOCAB_ONLY, '-p', 'hi']), /tensor 'token_embd\.weight' is missing; the file is not a complete llama model/, 'vocab-only');
});

test('prompts: longer than the context, from a missing file, or given twice, are refused; an empty one starts from BOS', () => {
  assertOneLineError(
    realizar(['run', '-m', STORIES, '--backend', 'js', '--ctx', '16', '-p', 'one two three four five six seven eight nine ten eleven twelve']),
    /the prompt has \d+ tokens, the context length is 16: no room to generate; shorten the prompt or raise the context length \(--ctx\)/,
    'prompt over the context',
  );
  assertOneLineError(realizar(['run', '-m', STORIES, '-f', join(dir, 'absent.txt')]), /cannot read prompt file \S+absent\.txt: no such file or directory; check the path \(ENOENT\)/, 'prompt file');
  assertOneLineError(realizar(['run', '-m', STORIES, '-p', 'hi', '-f', TEXT]), /give the prompt one way: after the model, with -p, or with -f/, '-p and -f');
  assertOneLineError(realizar(['run', STORIES, 'Once', '-p', 'hi']), /give the prompt one way/, 'argument and -p');

  // llama2.c's greedy output from BOS alone is the oracle for an empty prompt.
  const r = realizar(['run', '-m', STORIES, '--backend', 'js', '-p', '', '--temp', '0', '-n', '24']);
  assert.equal(r.status, 0, r.stderr);
  const text = r.stdout.replace(/\n$/, '');
  assert.ok(text.length > 40 && GREEDY_FROM_BOS.text.startsWith(text), JSON.stringify(text));
});

test('a KV cache too big for memory is refused in one line, with nothing on stdout', () => {
  // 10^8 positions of stories260K's cache are 122071 MiB, past the 4 GiB a wasm memory can address.
  const r = realizar(['run', '-m', STORIES, '-p', 'hi', '--ctx', '100000000', '-n', '-1', '--backend', 'wasm']);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /warning: a context of 100000000 tokens is longer than the model's trained context/);
  assertOneLineError(
    { ...r, stderr: lines.slice(1).join('\n') },
    /cannot allocate a KV cache for 99999999 tokens \(122071 MiB\) on the wasm backend \(.*\); use a smaller context \(--ctx\) or fewer tokens \(--n-predict\)$/,
    'huge context',
  );
});

test('perplexity on a text too short for two chunks says what to do', () => {
  const short = join(dir, 'short.txt');
  writeFileSync(short, 'Once upon a time there was a cat.\n');
  // The line announcing the scoring comes before the text is tokenized; the refusal must be the only other one.
  const r = realizar(['perplexity', '-m', STORIES, '--backend', 'js', '-f', short]);
  assertOneLineError(
    { ...r, stderr: r.stderr.replace(/^perplexity: scoring .*\n/, '') },
    /the text has \d+ tokens; perplexity with a context of 512 needs at least 1024; give a longer text or a smaller context \(--ctx\)/,
    'short text',
  );
  assertOneLineError(realizar(['perplexity', '-m', STORIES, '-f', join(dir, 'absent.txt')]), /cannot read \S+absent\.txt: no such file or directory; check the path \(ENOENT\)/, 'missing text');
});
