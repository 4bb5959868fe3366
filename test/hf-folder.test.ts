import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openHFSource } from '../src/hf/source.js';
import { loadModel } from '../src/model/load.js';
import { assertOneLineError, realizar } from './cli-harness.js';
import { tempDir } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const HF = '../shared/hf/llama-tiny-hf';
const dir = tempDir('hf-folder');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding only the given files of the shared Hugging Face model. */
function folderWith(name: string, files: readonly string[]): string {
  const p = join(dir, name);
  mkdirSync(p);
  for (const f of files) copyFileSync(join(HF, f), join(p, f));
  return p;
}

const NOT_HF = [/is not a Hugging Face model folder \(no config\.json\)/, /pass a GGUF file/, /config\.json, safetensors weights and tokenizer\.json/];

test('a folder without config.json is refused as no Hugging Face model folder, saying what to pass', async () => {
  // tokenizer.json and weights present: only config.json marks a model folder, so the message must not be about them.
  const noConfig = folderWith('no-config', ['tokenizer.json', 'model.safetensors.index.json']);
  const empty = folderWith('empty', []);
  for (const p of [noConfig, empty]) {
    assert.throws(() => openHFSource(p), isError('MISSING', p, ...NOT_HF));
    await assert.rejects(loadModel(p), isError('MISSING', p, ...NOT_HF));
  }
});

test('a folder with config.json still gets the message about its missing weights', () => {
  const p = folderWith('config-only', ['config.json', 'tokenizer.json']);
  assert.throws(() => openHFSource(p), isError('MISSING', 'model.safetensors'));
  // The shared folder itself opens: the check refuses nothing real.
  openHFSource(HF).close();
});

test('realizar run on a folder without config.json: one line naming it and what to pass, exit 1', () => {
  const p = folderWith('cli-empty', []);
  const r = realizar(['run', p, '-p', 'hi']);
  assertOneLineError(r, /is not a Hugging Face model folder \(no config\.json\): pass a GGUF file/, 'run on an empty folder');
  assert.ok(r.stderr.includes(`realizar: ${p} is not`), r.stderr);
});
