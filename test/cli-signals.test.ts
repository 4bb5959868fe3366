import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { realizarAsync, STORIES } from './cli-harness.js';

const GREEDY_FROM_BOS = JSON.parse(readFileSync('../shared/models/stories260K.greedy200.json', 'utf8')) as { text: string };

/** Starts an unbounded greedy run (-n -1: 2047 tokens, seconds on the js backend) and resolves at its first output. */
async function startLongRun(): Promise<{ child: ReturnType<typeof realizarAsync>; out: () => string; err: () => string }> {
  const child = realizarAsync(['run', '-m', STORIES, '-p', '', '--temp', '0', '-n', '-1', '--backend', 'js']);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await first;
  return { child, out: () => stdout, err: () => stderr };
}

test('Ctrl-C stops a generation promptly, prints the speeds and exits 130', async () => {
  const run = await startLongRun();
  const sent = performance.now();
  run.child.kill('SIGINT');
  const [code] = (await once(run.child, 'exit')) as [number | null];
  const ms = performance.now() - sent;
  assert.equal(code, 130, run.err());
  assert.ok(ms < 3000, `took ${ms} ms to stop`);
  assert.match(run.err(), /generation: (\d+) tokens in [\d.]+ ms \([\d.]+ tok\/s\), finished: abort/);
  const generated = Number(/generation: (\d+) tokens/.exec(run.err())![1]);
  assert.ok(generated < 2047, `${generated} tokens: the run was not interrupted`);
  // What was printed before the interruption is a prefix of the uninterrupted text (llama2.c's, from BOS).
  const text = run.out().replace(/\n$/, '');
  assert.ok(text.length > 0 && (GREEDY_FROM_BOS.text.startsWith(text) || text.startsWith(GREEDY_FROM_BOS.text)), JSON.stringify(text.slice(0, 200)));
});

test('Ctrl-C during a long prompt ends the process at once (a prompt slice cannot be interrupted from JavaScript)', async () => {
  // ~1500 tokens through a 20M-parameter model on the js backend: seconds of synchronous slices.
  const prompt = 'the cat sat on the mat '.repeat(250);
  const child = realizarAsync(['run', '-m', '../shared/models/llama-tiny-shape-F16.gguf', '-p', prompt, '-n', '4', '--backend', 'js']);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sent = performance.now();
  child.kill('SIGINT');
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const ms = performance.now() - sent;
  assert.ok(ms < 1000, `took ${ms} ms to stop`);
  assert.ok(code === 130 || signal === 'SIGINT', `exit ${code} ${signal}`);
  assert.equal(stdout, '');
});

test('a reader that closes the pipe (| head) ends the run quietly, without a stack trace', async () => {
  const run = await startLongRun();
  run.child.stdout.destroy();
  const [code] = (await once(run.child, 'exit')) as [number | null];
  assert.equal(code, 0, run.err());
  assert.doesNotMatch(run.err(), /EPIPE|\n\s+at /);
});
