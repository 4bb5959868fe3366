import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWithProgress } from '../src/cli/commands/run.js';
import { captureOutput, STORIES } from './cli-harness.js';

/** What a load writes to stderr when stderr is (or is not) a terminal; stdout must stay untouched either way. */
async function loadCapturing(isTTY: boolean): Promise<{ stderr: string; stdout: string }> {
  const saved = process.stderr.isTTY;
  process.stderr.isTTY = isTTY;
  try {
    const r = await captureOutput(() => loadWithProgress(STORIES, { backend: 'js' }));
    assert.equal(r.error, undefined);
    r.value!.dispose();
    return r;
  } finally {
    process.stderr.isTTY = saved;
  }
}

test('loading shows a progress bar on stderr only when stderr is a terminal', async () => {
  const tty = await loadCapturing(true);
  assert.match(tty.stderr, /loading \[.*\] 100% \| 1\/1 MiB/);
  assert.equal(tty.stdout, '');
  const piped = await loadCapturing(false);
  assert.equal(piped.stderr, '');
  assert.equal(piped.stdout, '');
});
