import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { convertHF } from '../src/convert/convert-hf.js';
import { STORIES, assertOneLineError, realizar } from './cli-harness.js';
import { tempDir } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const dir = tempDir('convert-folder');
after(() => rmSync(dir, { recursive: true, force: true }));

test('convert of a path that does not exist says so, not that its config.json is missing', () => {
  const missing = join(dir, 'nonexist');
  const out = join(dir, 'x.gguf');
  assert.throws(() => convertHF(missing, out, 'f16'), isError('MISSING', `${missing} does not exist`));
  const r = realizar(['convert', missing, '-o', out]);
  assertOneLineError(r, /does not exist$/, 'convert of a missing folder');
  assert.equal(r.stderr, `realizar: ${missing} does not exist\n`);
  assert.ok(!existsSync(out), 'no output file is left behind');
});

test('convert of a file (a GGUF) says it is not a folder', () => {
  const out = join(dir, 'y.gguf');
  assert.throws(() => convertHF(STORIES, out, 'f16'), isError('BAD_ARGUMENT', STORIES, 'is not a folder', 'Hugging Face model folder'));
  assertOneLineError(realizar(['convert', STORIES, '-o', out]), /stories260K\.gguf is not a folder/, 'convert of a file');
  assert.ok(!existsSync(out), 'no output file is left behind');
});

test('an existing folder without config.json keeps the config.json wording', () => {
  assert.throws(() => convertHF(dir, join(dir, 'z.gguf'), 'f16'), isError('MISSING', join(dir, 'config.json'), 'not found'));
});
