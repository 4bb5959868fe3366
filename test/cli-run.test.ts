import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reference } from './model-oracle.js';
import { CommanderError } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { realizar, realizarInProcess, STORIES } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'realizar-cli-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GREEDY = ['--temp', '0', '--backend', 'js'];

test('--no-display-prompt leaves only the generated text on stdout; -f reads the prompt from a file', () => {
  // llama.cpp's greedy continuation of the prompt is the oracle.
  const ref = reference('stories260K', 0);
  const only = realizar(['run', '-m', STORIES, '-p', ref.prompt, '-n', '64', '--no-display-prompt', ...GREEDY]);
  assert.equal(only.status, 0, only.stderr);
  assert.equal(only.stdout, `${ref.greedy_text}\n`);

  const file = join(dir, 'prompt.txt');
  writeFileSync(file, ref.prompt);
  const fromFile = realizar(['run', '-m', STORIES, '-f', file, '-n', '64', ...GREEDY]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, `${ref.prompt}${ref.greedy_text}\n`);
  const fromStdin = realizar(['run', '-m', STORIES, '-f', '-', '-n', '64', ...GREEDY], { input: ref.prompt });
  assert.equal(fromStdin.stdout, fromFile.stdout);
  // Nothing but text on stdout, and no terminal control codes on a stderr that is not a terminal (no progress bar).
  assert.doesNotMatch(fromFile.stderr, /\x1b/);
});

test('the model and prompt may be given as arguments, as `ollama run` takes them', () => {
  const ref = reference('stories260K', 0);
  const expected = `${ref.prompt}${ref.greedy_text}\n`;
  for (const args of [[STORIES, ...ref.prompt.split(' ')], ['-m', STORIES, ref.prompt]]) {
    const r = realizar(['run', ...args, '-n', '64', ...GREEDY]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected, args.join(' '));
  }
  const info = realizar(['info', STORIES]);
  assert.equal(info.status, 0, info.stderr);
  assert.equal(realizar(['info', '-m', STORIES]).stdout, info.stdout);
});

test('--stop repeats, and does not swallow a prompt given after it', () => {
  const ref = reference('stories260K', 0);
  const cut = Math.min(ref.greedy_text.indexOf('Lily'), ref.greedy_text.indexOf('park'));
  assert.ok(cut > 0);
  const r = realizar(['run', STORIES, '--stop', 'park', '--stop', 'Lily', ref.prompt, '-n', '64', ...GREEDY]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${ref.prompt}${ref.greedy_text.slice(0, cut)}\n`);
  assert.match(r.stderr, /finished: stop/);
});

test('--parse-special reads control tokens written in the prompt as themselves', async () => {
  // stories260K's "<s>" is token 1: "<s>Once" is BOS, <s>, "▁Once" with it, and BOS plus 7 pieces of text without it.
  const args = ['run', '-m', STORIES, '-p', '<s>Once', '-n', '1', ...GREEDY];
  assert.match((await realizarInProcess([...args, '--parse-special'])).stderr, /^prompt: 3 tokens/m);
  assert.match((await realizarInProcess(args)).stderr, /^prompt: 8 tokens/m);
});

test('--seed -1 picks a random seed and prints it; that seed repeats the run', () => {
  const args = ['run', '-m', STORIES, '-p', 'Once upon a time', '-n', '40', '--temp', '1.5', '--top-k', '0', '--min-p', '0', '--backend', 'js'];
  const first = realizar([...args, '--seed', '-1']);
  assert.equal(first.status, 0, first.stderr);
  const seed = /^seed: (\d+)$/m.exec(first.stderr)?.[1];
  assert.ok(seed !== undefined, first.stderr);
  const again = realizar([...args, '--seed', seed]);
  assert.equal(again.stdout, first.stdout);
  assert.match(again.stderr, new RegExp(`^seed: ${seed}$`, 'm'));
  // Greedy runs have no use for a seed and do not print one.
  assert.doesNotMatch(realizar(['run', '-m', STORIES, '-p', 'Once', '-n', '2', ...GREEDY]).stderr, /seed/);
});

test('--version is the package version even when npm says otherwise', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  // npx sets npm_package_version to the version of the project it runs in.
  const r = realizar(['--version'], { env: { ...process.env, npm_package_version: '99.99.99' } });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `${pkg.version}\n`);
});

test('a context beyond the trained one is allowed with a warning, as llama.cpp does', () => {
  const over = realizar(['run', '-m', STORIES, '-p', 'Once', '-n', '1', '--ctx', '2100', ...GREEDY]);
  assert.equal(over.status, 0, over.stderr);
  assert.match(over.stderr, /^realizar: warning: a context of 2100 tokens is longer than the model's trained context \(2048\); output past 2048 tokens may degrade$/m);
  const within = realizar(['run', '-m', STORIES, '-p', 'Once', '-n', '1', '--ctx', '2048', ...GREEDY]);
  assert.doesNotMatch(within.stderr, /warning/);
});

test('every command and the program describe themselves in --help; perplexity gives its own --ctx default', async () => {
  const top = realizar(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /^Usage: realizar \[options\] \[command\]\n\n\w+/);
  const commands = buildProgram().commands.map((c) => c.name()).filter((c) => c !== 'help');
  assert.ok(commands.length >= 7, commands.join(' '));
  for (const cmd of commands) {
    const r = await realizarInProcess([cmd, '--help']);
    assert.ok(r.error instanceof CommanderError && r.error.exitCode === 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: realizar ${cmd} `), cmd);
    // A description: the line after the usage line is text, not the options list.
    assert.match(r.stdout.split('\n')[2]!, /^[A-Z]\w+ /, cmd);
  }
  assert.match((await realizarInProcess(['perplexity', '--help'])).stdout, /-c, --ctx <n> +tokens per chunk \(default: 512, as\s+llama-perplexity\)/);
});
