import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function realizar(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/realizar.js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('realizar quantize --pure writes llama-quantize\'s file and reports where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-quant-'));
  try {
    const out = join(dir, 'q8.gguf');
    const r = realizar('quantize', '--pure', '../shared/reference/quant/quant-src-F32.gguf', out, 'q8_0');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync('../shared/reference/quant/quant-Q8_0.gguf')));
    assert.match(r.stderr, /wrote .*q8\.gguf/);
    // Only the final file remains: the writer's temporary file was renamed.
    assert.deepEqual(readdirSync(dir), ['q8.gguf']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('realizar convert writes a GGUF from the folder; bad input is one line on stderr and exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-conv-'));
  try {
    const out = join(dir, 'm.gguf');
    const ok = realizar('convert', '../shared/hf/llama-tiny-hf', '-o', out, '--type', 'q8_0');
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(existsSync(out));
    const bad = realizar('convert', dir, '-o', join(dir, 'x.gguf'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^realizar: .*config\.json: not found\n$/);
    const badType = realizar('quantize', out, join(dir, 'y.gguf'), 'Q9_Z');
    assert.equal(badType.status, 1);
    assert.match(badType.stderr, /^realizar: unknown quantization type 'Q9_Z'/);
    assert.ok(!existsSync(join(dir, 'x.gguf')) && !existsSync(join(dir, 'y.gguf')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('convert and quantize describe themselves in --help', () => {
  for (const cmd of ['convert', 'quantize']) {
    const r = realizar(cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`Usage: realizar ${cmd}`));
    assert.match(r.stdout, /Q4_K_M|q4_k_m/);
  }
});
