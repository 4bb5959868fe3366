import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealizarError } from '../src/errors.js';
import { assertOneLineError, realizar, realizarInProcess, STORIES } from './cli-harness.js';

const TEXT = '../shared/reference/ppl/text.txt';
const VOCAB_ONLY = '../shared/vocab/ggml-vocab-llama-spm.gguf';
const GREEDY_FROM_BOS = JSON.parse(readFileSync('../shared/models/stories260K.greedy200.json', 'utf8')) as { text: string };

const dir = mkdtempSync(join(tmpdir(), 'realizar-cli-bad-'));
const ABSENT = join(dir, 'absent.gguf');
after(() => rmSync(dir, { recursive: true, force: true }));

test('bad flag values are refused by flag name before the model is opened', async () => {
  // The model path does not exist: a message about the flag proves the flag was checked first.
  const cases: [string[], RegExp][] = [
    [['-n', 'abc'], /^--n-predict expects an integer >= -1, got 'abc'$/],
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
    // A llama-quantize mix name and a type without a quantizer; the list offered is what quantizes (quant/ registry).
    [['--quantize', 'q4_k_m'], /^unknown tensor type 'q4_k_m'; the quantize option \(--quantize\) takes f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k$/],
    [['--quantize', 'iq2_xxs'], /^cannot quantize weights to IQ2_XXS as they load; the quantize option/],
  ];
  for (const [flags, pattern] of cases) {
    const r = await realizarInProcess(['run', '-m', ABSENT, '-p', 'hi', ...flags]);
    assert.ok(r.error instanceof RealizarError && r.error.code === 'BAD_ARGUMENT', `${flags.join(' ')}: ${String(r.error)}`);
    assert.match(r.error.message, pattern, flags.join(' '));
    assert.equal(r.stdout, '', flags.join(' '));
  }
  // The same through the real entry point: one line on stderr, exit 1.
  assertOneLineError(realizar(['run', '-m', ABSENT, '--temp', '-1']), /^realizar: --temp expects a number >= 0, got '-1'$/, '--temp -1');
  assertOneLineError(realizar(['perplexity', '-m', ABSENT, '-f', TEXT, '-c', '2']), /--ctx for perplexity must be at least 4, got 2/, 'perplexity -c 2');
});

test('an unknown backend, KV cache type or subcommand is a usage error, without a stack trace', () => {
  const backend = realizar(['run', '-m', ABSENT, '--backend', 'cuda']);
  assert.equal(backend.status, 1);
  assert.match(backend.stderr, /argument 'cuda' is invalid\. Allowed choices are wasm, js\./);
  const kvType = realizar(['run', '-m', ABSENT, '--kv-type', 'q8_0']);
  assert.equal(kvType.status, 1);
  assert.match(kvType.stderr, /argument 'q8_0' is invalid\. Allowed choices are f16, f32\./);
  const unknown = realizar(['bogus']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown command 'bogus'/);
  for (const r of [backend, kvType, unknown]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

/** A refusal as main() reports it: a RealizarError whose message is one line, and nothing on stdout. */
async function assertRefused(args: readonly string[], pattern: RegExp): Promise<void> {
  const r = await realizarInProcess(args);
  const what = args.join(' ');
  assert.ok(r.error instanceof RealizarError, `${what}: ${String(r.error)}`);
  assert.doesNotMatch(r.error.message, /\n/, what);
  assert.match(r.error.message, pattern, what);
  assert.equal(r.stdout, '', what);
}

test('no model, or two: one line saying how to give one', async () => {
  await assertRefused(['run', '-p', 'hi'], /^no model given; pass a \.gguf file or a Hugging Face folder, as the first argument or with -m$/);
  await assertRefused(['info'], /^no model given/);
  await assertRefused(['info', STORIES, '-m', ABSENT], /^two models given .* pass one$/);
});

test('missing, directory, truncated, non-GGUF and vocab-only models: one line naming the problem and what to do', async () => {
  const truncatedData = join(dir, 'truncated-data.gguf');
  copyFileSync(STORIES, truncatedData);
  truncateSync(truncatedData, 500_000);
  const truncatedHeader = join(dir, 'truncated-header.gguf');
  copyFileSync(STORIES, truncatedHeader);
  truncateSync(truncatedHeader, 5000);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello\n');

  const missing = /cannot open (model )?\S+absent\.gguf: no such file or directory; check the path \(ENOENT\)/;
  const pastEnd = /tensor '[^']+' offset \d+ is past the end of the 500000-byte file; is the file truncated\? download or convert it again/;
  // Through the real entry point once each: one line on stderr, exit 1.
  assertOneLineError(realizar(['run', '-m', ABSENT, '-p', 'hi']), missing, 'run missing');
  assertOneLineError(realizar(['info', truncatedData]), pastEnd, 'info truncated');

  await assertRefused(['info', ABSENT], missing);
  await assertRefused(['info', dir], /is not a regular file; pass a \.gguf file \(a Hugging Face model folder becomes one with `realizar convert`\)$/);
  await assertRefused(['run', '-m', dir, '-p', 'hi'], new RegExp(dir));
  await assertRefused(['run', '-m', truncatedData, '-p', 'hi'], pastEnd);
  await assertRefused(['info', truncatedHeader], /truncated GGUF: .* the file has \d+ left; download or convert it again/);
  await assertRefused(['run', '-m', text, '-p', 'hi'], /notes\.txt: not a GGUF file \(magic 0x6c6c6568, expected 'GGUF'\)/);
  await assertRefused(['run', '-m', VOCAB_ONLY, '-p', 'hi'], /tensor 'token_embd\.weight' is missing; the file is not a complete llama model/);
});

test('prompts: longer than the context, from a missing file, or given twice, are refused; an empty one starts from BOS', async () => {
  await assertRefused(
    ['run', '-m', STORIES, '--backend', 'js', '--ctx', '16', '-p', 'one two three four five six seven eight nine ten eleven twelve'],
    /the prompt has \d+ tokens, the context length is 16: no room to generate; shorten the prompt or raise the context length \(--ctx\)/,
  );
  await assertRefused(['run', '-m', STORIES, '-f', join(dir, 'absent.txt')], /cannot read prompt file \S+absent\.txt: no such file or directory; check the path \(ENOENT\)/);
  await assertRefused(['run', '-m', STORIES, '-p', 'hi', '-f', TEXT], /give the prompt one way: after the model, with -p, or with -f/);
  await assertRefused(['run', STORIES, 'Once', '-p', 'hi'], /give the prompt one way/);

  // llama2.c's greedy output from BOS alone is the oracle for an empty prompt.
  const r = await realizarInProcess(['run', '-m', STORIES, '--backend', 'js', '-p', '', '--temp', '0', '-n', '24']);
  assert.equal(r.error, undefined);
  const text = r.stdout.replace(/\n$/, '');
  assert.ok(text.length > 40 && GREEDY_FROM_BOS.text.startsWith(text), JSON.stringify(text));
});

test('a KV cache too big for memory is refused in one line, with nothing on stdout', async () => {
  // 10^8 positions of stories260K's cache (5 layers, 4 KV heads of 8, keys and values in f16, the wasm default)
  // are 61036 MiB (122071 MiB in f32), past the 4 GiB a wasm memory can address.
  const args = ['run', '-m', STORIES, '-p', 'hi', '--ctx', '100000000', '-n', '-1', '--backend', 'wasm'];
  await assertRefused(args, /^cannot allocate a KV cache for 99999999 tokens \(61036 MiB as f16\) on the wasm backend \(.*\); use a smaller context \(--ctx\) or fewer tokens \(--n-predict\)$/);
  await assertRefused(
    [...args, '--kv-type', 'f32'],
    /^cannot allocate a KV cache for 99999999 tokens \(122071 MiB as f32\) on the wasm backend \(.*\); use a smaller context \(--ctx\), an f16 cache \(--kv-type f16\) or fewer tokens \(--n-predict\)$/,
  );
  const r = await realizarInProcess(args);
  assert.match(r.stderr, /^realizar: warning: a context of 100000000 tokens is longer than the model's trained context/);
});

test('perplexity on a missing text, or one too short for two chunks, says what to do', async () => {
  const short = join(dir, 'short.txt');
  writeFileSync(short, 'Once upon a time there was a cat.\n');
  await assertRefused(
    ['perplexity', '-m', STORIES, '--backend', 'js', '-f', short],
    /the text has \d+ tokens; perplexity with a context of 512 needs at least 1024; give a longer text or a smaller context \(--ctx\)/,
  );
  await assertRefused(['perplexity', '-m', STORIES, '-f', join(dir, 'absent.txt')], /cannot read \S+absent\.txt: no such file or directory; check the path \(ENOENT\)/);
});
