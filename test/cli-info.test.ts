import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { realizar, realizarInProcess, STORIES } from './cli-harness.js';

/** gguf-py's reading of each model (reference/info): the tensor list the size figures are recomputed from. */
interface Reference {
  tensors: { ne: number[]; n_bytes: number }[];
}

const MODELS = ['stories260K', 'llama-2-tiny-random', 'llama-tiny-shape-F16', 'llama-tiny-shape-Q4_0', 'llama-tiny-shape-Q4_K_M', 'llama-tiny-shape-Q8_0'];
const QUANT = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

/** What llama.cpp's loader calls each file: its general.file_type as llama-quantize wrote it (Q3_K means Q3_K_M there). */
const FILE_TYPES: Readonly<Record<string, string>> = {
  'llama-2-tiny-random': 'F16',
  'llama-tiny-shape-F16': 'F16',
  'llama-tiny-shape-Q4_0': 'Q4_0',
  'llama-tiny-shape-Q4_K_M': 'Q4_K - Medium',
  'llama-tiny-shape-Q8_0': 'Q8_0',
  'quant-Q4_0': 'Q4_0',
  'quant-Q4_1': 'Q4_1',
  'quant-Q5_0': 'Q5_0',
  'quant-Q5_1': 'Q5_1',
  'quant-Q8_0': 'Q8_0',
  'quant-Q2_K': 'Q2_K - Medium',
  'quant-Q3_K': 'Q3_K - Medium',
  'quant-Q4_K': 'Q4_K - Medium',
  'quant-Q5_K': 'Q5_K - Medium',
  'quant-Q6_K': 'Q6_K',
};

const pathOf = (name: string): string => (name.startsWith('quant-') ? `../shared/reference/quant/${name}.gguf` : `../shared/models/${name}.gguf`);

test('info names the file type and bits per weight as llama.cpp does for stories260K (its llama-perplexity log)', () => {
  const log = readFileSync('../shared/reference/ppl/llama-perplexity.log', 'utf8');
  const fileType = /print_info: file type\s+= (.+)$/m.exec(log)![1]!.trim();
  const [, mib, bpw] = /print_info: file size\s+= ([\d.]+) MiB \(([\d.]+) BPW\)/.exec(log)!;
  const r = realizar(['info', STORIES]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^file type +${fileType.replace(/[()]/g, '\\$&')}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^weights +${mib} MiB \\(${bpw} bits per weight\\)$`, 'm'));
});

test('info --json: file type as llama-quantize named it, and bits per weight recomputed from gguf-py\'s tensor list', async () => {
  for (const name of [...MODELS, ...QUANT.map((q) => `quant-${q}`)]) {
    const r = await realizarInProcess(['info', '--json', pathOf(name)]);
    assert.equal(r.error, undefined, name);
    const info = JSON.parse(r.stdout) as { fileType: string; tensorBytes: number; bitsPerWeight: number };
    const ref = JSON.parse(readFileSync(`../shared/reference/info/${name}.json`, 'utf8')) as Reference;
    const bytes = ref.tensors.reduce((a, t) => a + t.n_bytes, 0);
    const weights = ref.tensors.reduce((a, t) => a + t.ne.reduce((x, y) => x * y, 1), 0);
    assert.equal(info.tensorBytes, bytes, name);
    assert.ok(Math.abs(info.bitsPerWeight - (bytes * 8) / weights) < 1e-12, `${name}: ${info.bitsPerWeight}`);
    if (name !== 'stories260K') assert.equal(info.fileType, FILE_TYPES[name], name);
  }
});

test('info counts in words: one tensor, several tensors', async () => {
  const r = await realizarInProcess(['info', pathOf('llama-tiny-shape-Q4_0')]);
  assert.match(r.stdout, /^quantization +Q6_K: 1 tensor, [\d.]+ MiB; Q4_0: 29 tensors, /m);
});

test('info --metadata lists every key with the value gguf-py reads', async () => {
  for (const name of ['stories260K', 'llama-tiny-shape-Q4_K_M']) {
    const r = await realizarInProcess(['info', '--metadata', pathOf(name)]);
    assert.equal(r.error, undefined, name);
    const shown = new Map(r.stdout.split('\n\n')[1]!.trimEnd().split('\n').map((line) => {
      const [, key, value] = /^(\S+) +(.*)$/.exec(line)!;
      return [key!, value!];
    }));
    const ref = (JSON.parse(readFileSync(`../shared/reference/info/${name}.json`, 'utf8')) as { metadata: Record<string, unknown> }).metadata;
    assert.deepEqual([...shown.keys()].sort(), Object.keys(ref).sort(), name);
    for (const [key, expected] of Object.entries(ref)) {
      const value = shown.get(key)!;
      if (typeof expected === 'number') assert.equal(Number(value), expected, key);
      else if (typeof expected === 'boolean') assert.equal(value, String(expected), key);
      else if (typeof expected === 'string') assert.equal(JSON.parse(value), expected, key);
      else {
        const array = expected as { array_of: string; length: number };
        assert.ok(value.startsWith(`[${array.array_of} × ${array.length}] `), `${key}: ${value}`);
      }
    }
  }
});
