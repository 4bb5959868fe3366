import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STORIES, realizarInProcess } from './cli-harness.js';

/** The count line must agree in number with the id lines above it: "1 token", "0 tokens", "3 tokens". */
async function tokenize(...args: string[]): Promise<{ idLines: string[]; countLine: string }> {
  const r = await realizarInProcess(['tokenize', '-m', STORIES, ...args]);
  assert.equal(r.error, undefined, String(r.error));
  const lines = r.stdout.trimEnd().split('\n');
  return { idLines: lines.slice(0, -1).filter((l) => l !== ''), countLine: lines.at(-1)! };
}

test('tokenize counts its tokens in words that agree in number', async () => {
  // stories260K adds BOS (<s>, id 1): the empty text is that one token.
  const one = await tokenize('');
  assert.deepEqual(one.idLines, ['1 -> "<s>"']);
  assert.equal(one.countLine, '1 token');

  const none = await tokenize('--no-bos', '');
  assert.deepEqual(none.idLines, []);
  assert.equal(none.countLine, '0 tokens');

  const some = await tokenize('hi');
  assert.equal(some.idLines.length, 3);
  assert.equal(some.countLine, '3 tokens');
});
