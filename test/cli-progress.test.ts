import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWithProgress } from '../src/cli/commands/run.js';
import { STORIES } from './cli-spawn.js';

/** What a load writes to stderr when stderr is (or is not) a terminal; stdout must stay untouched either way. */
async function loadCapturing(isTTY: boolean): Promise<{ stderr: string; stdout: string }> {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const saved = { tty: process.stderr.isTTY, err: process.stderr.write, out: process.stdout.write };
  process.stderr.isTTY = isTTY;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    const model = await loadWithProgress(STORIES, { backend: 'js' });
    model.dispose();
  } finally {
    process.stderr.isTTY = saved.tty;
    process.stderr.write = saved.err;
    process.stdout.write = saved.out;
  }
  return { stderr: stderr.join(''), stdout: stdout.join('') };
}

test('loading shows a progress bar on stderr only when stderr is a terminal', async () => {
  const tty = await loadCapturing(true);
  assert.match(tty.stderr, /loading \[.*\] 100% \| 1\/1 MiB/);
  assert.equal(tty.stdout, '');
  const piped = await loadCapturing(false);
  assert.equal(piped.stderr, '');
  assert.equal(piped.stdout, '');
});
