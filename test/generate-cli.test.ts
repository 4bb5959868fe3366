import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { reference } from './model-oracle.js';

// The built CLI, run as a user would (dist/test/ -> bin/ of the repo).
const BIN = new URL('../../bin/realizar.js', import.meta.url).pathname;
const STORIES = '../shared/models/stories260K.gguf';

function realizar(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('realizar run streams the greedy continuation to stdout and speeds to stderr', () => {
  const ref = reference('stories260K', 0);
  const r = realizar('run', '-m', STORIES, '-p', ref.prompt, '-n', '64', '--temp', '0', '--backend', 'js');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${ref.prompt}${ref.greedy_text}\n`);
  assert.match(r.stderr, /prompt: 5 tokens in [\d.]+ ms \([\d.]+ tok\/s\)/);
  assert.match(r.stderr, /generation: 64 tokens in [\d.]+ ms \([\d.]+ tok\/s\), finished: length/);
});

test('realizar run with a seed is reproducible across processes', () => {
  const args = ['run', '-m', STORIES, '-p', 'Once upon a time', '-n', '30', '--seed', '5', '--backend', 'js'];
  const a = realizar(...args);
  const b = realizar(...args);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
});

test('realizar run refuses a request beyond the context with one line on stderr, before any output', () => {
  const r = realizar('run', '-m', STORIES, '-p', 'Once upon a time', '-n', '100', '--ctx', '32', '--backend', 'js');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'realizar: prompt (5 tokens) + maxTokens (100) exceeds the context length of 32; lower maxTokens or raise the context length (--ctx)\n');
});

test('realizar perplexity prints running estimates and the final one as llama-perplexity does', () => {
  const r = realizar('perplexity', '-m', STORIES, '-f', '../shared/reference/ppl/text.txt', '-c', '128', '--backend', 'js');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\[1\]114\.\d{4},\[2\]101\.\d{4},/);
  assert.match(r.stdout, /\[58\]74\.90\d\d,\nFinal estimate: PPL = 74\.90\d\d \+\/- 4\.10\d\d\d\n$/);
});

test('run and perplexity describe themselves in --help', () => {
  for (const cmd of ['run', 'perplexity']) {
    const r = realizar(cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`Usage: realizar ${cmd}`));
    assert.match(r.stdout, /--model/);
  }
});
