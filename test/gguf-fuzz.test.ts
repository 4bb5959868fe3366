import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RealizarError } from '../src/errors.js';
import { llamaConfigFromGGUF } from '../src/gguf/hparams.js';
import { modelInfo } from '../src/gguf/info.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { prng, tempDir } from './gguf-bytes.js';

const dir = tempDir('gguf-fuzz');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn`, accepting a clean RealizarError as an outcome; anything else thrown fails the test. */
function cleanly(fn: () => void, context: string): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof RealizarError && !e.message.includes('\n')) return 'refused';
    assert.fail(`${context}: ${e instanceof Error ? e.stack : String(e)}`);
  }
}

/**
 * Flips 1-4 random bytes of a real model's header per round (seeded, so a failure names a reproducible case),
 * then opens the file and, when it parses, summarizes it, derives the config and reads every tensor.
 */
function fuzz(model: string, rounds: number, seed: number): { ok: number; refused: number } {
  const original = readFileSync(model);
  const copy = join(dir, `fuzz-${seed}.gguf`);
  copyFileSync(model, copy);
  const f = GGUFFile.open(model);
  const headerEnd = f.dataOffset;
  f.close();
  // Most of a header is the vocabulary; aim a third of the flips at the tensor infos that follow it.
  const tensorInfos = original.indexOf(Buffer.from('token_embd.weight')) - 8;
  assert.ok(tensorInfos > 0 && tensorInfos < headerEnd);

  const random = prng(seed);
  const pick = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo));
  const counts = { ok: 0, refused: 0 };
  const fd = openSync(copy, 'r+');
  try {
    for (let round = 0; round < rounds; round++) {
      const flips = Array.from({ length: pick(1, 5) }, () => {
        const region = pick(0, 3);
        const at = region === 0 ? pick(0, 64) : region === 1 ? pick(0, headerEnd) : pick(tensorInfos, headerEnd);
        return { at, value: pick(0, 256) };
      });
      for (const { at, value } of flips) writeSync(fd, Uint8Array.of(value), 0, 1, at);
      const context = `${model} seed ${seed} round ${round} flips ${JSON.stringify(flips)}`;
      const start = performance.now();
      const outcome = cleanly(() => {
        const g = GGUFFile.open(copy);
        try {
          cleanly(() => modelInfo(g), `${context} (info)`);
          cleanly(() => llamaConfigFromGGUF(g), `${context} (config)`);
          for (const t of g.tensors) g.readTensor(t);
        } finally {
          g.close();
        }
      }, context);
      counts[outcome]++;
      assert.ok(performance.now() - start < 2000, `${context}: took ${performance.now() - start} ms`);
      for (const { at } of flips) writeSync(fd, original, at, 1, at);
    }
  } finally {
    closeSync(fd);
  }
  return counts;
}

test('1000 random header corruptions of stories260K: a clean error or a valid parse, never a crash or hang', (t) => {
  const { ok, refused } = fuzz('../shared/models/stories260K.gguf', 1000, 0x5eed);
  // Both outcomes must occur, or the fuzzing is not reaching the parser's decisions.
  t.diagnostic(`stories260K fuzz: ${ok} parsed, ${refused} refused`);
  assert.ok(ok > 50 && refused > 200, `ok ${ok}, refused ${refused}`);
});

test('300 random header corruptions of a K-quant file', (t) => {
  const { ok, refused } = fuzz('../shared/reference/quant/quant-Q4_K.gguf', 300, 42);
  t.diagnostic(`quant-Q4_K fuzz: ${ok} parsed, ${refused} refused`);
  assert.ok(ok > 10 && refused > 50, `ok ${ok}, refused ${refused}`);
});
