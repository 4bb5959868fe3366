import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGUFFile } from '../src/gguf/reader.js';
import { quantizeGGUF } from '../src/convert/quantize-model.js';
import { chooseTensorTypes } from '../src/convert/tensor-types.js';
import { fileTypeFromName } from '../src/convert/file-type.js';
import { GGMLType, typeName } from '../src/tensor/ggml-type.js';
import { assertSameTensors } from './helpers/gguf-file.js';
import { isError } from './helpers/refusal.js';

interface InfoTensor {
  name: string;
  type: string;
  ne: number[];
}
function info(path: string): { metadata: Record<string, unknown>; tensors: InfoTensor[] } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('Q4_K_M mix chooses the per-tensor types llama-quantize chose for llama-tiny-shape', () => {
  const src = info('../shared/reference/info/llama-tiny-shape-F16.json');
  const ref = info('../shared/reference/info/llama-tiny-shape-Q4_K_M.json');
  const { fileType, defaultType } = fileTypeFromName('Q4_K_M');
  const types = chooseTensorTypes(
    { blockCount: 4, headCount: 8, headCountKv: 4 },
    src.tensors.map((t) => ({ name: t.name, dims: t.ne, currentType: t.type === 'F32' ? GGMLType.F32 : GGMLType.F16 })),
    fileType,
    defaultType,
    false,
  );
  // Same order as llama-quantize wrote them, and the same type for each.
  assert.deepEqual([...types].map(([n, t]) => [n, typeName(t)]), ref.tensors.map((t) => [t.name, t.type]));
});

test('every K-quant mix falls back as llama.cpp does when rows are not whole 256-blocks', () => {
  const tensors = [
    { name: 'blk.0.attn_q.weight', dims: [96, 96], currentType: GGMLType.F16 },
    { name: 'blk.0.attn_v.weight', dims: [96, 96], currentType: GGMLType.F16 },
    { name: 'output.weight', dims: [96, 1000], currentType: GGMLType.F16 },
    { name: 'blk.0.attn_norm.weight', dims: [96], currentType: GGMLType.F32 },
  ];
  const mix = (name: string) => {
    const { fileType, defaultType } = fileTypeFromName(name);
    return Object.fromEntries([...chooseTensorTypes({ blockCount: 1, headCount: 4, headCountKv: 4 }, tensors, fileType, defaultType, false)].map(([n, t]) => [n, typeName(t)]));
  };
  // Q4_K -> Q5_0; Q6_K (output and the first attn_v under Q4_K_M) -> Q8_0; Q5_K -> Q5_1; norms stay F32.
  assert.deepEqual(mix('Q4_K_M'), { 'blk.0.attn_norm.weight': 'F32', 'blk.0.attn_q.weight': 'Q5_0', 'blk.0.attn_v.weight': 'Q8_0', 'output.weight': 'Q8_0' });
  assert.deepEqual(mix('Q5_K_S'), { 'blk.0.attn_norm.weight': 'F32', 'blk.0.attn_q.weight': 'Q5_1', 'blk.0.attn_v.weight': 'Q5_1', 'output.weight': 'Q8_0' });
  assert.deepEqual(mix('Q8_0')['blk.0.attn_q.weight'], 'Q8_0');
});

const PURE_TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

for (const t of PURE_TYPES) {
  test(`quantize --pure ${t} of quant-src-F32.gguf is llama-quantize's quant-${t}.gguf, byte for byte`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'quant-'));
    try {
      const out = join(dir, `q-${t}.gguf`);
      quantizeGGUF('../shared/reference/quant/quant-src-F32.gguf', out, t, { pure: true });
      assertSameTensors(out, `../shared/reference/quant/quant-${t}.gguf`);
      const ref = GGUFFile.open(`../shared/reference/quant/quant-${t}.gguf`);
      const got = GGUFFile.open(out);
      try {
        // Same metadata, in the same order, ending with quantization_version and file_type.
        assert.deepEqual([...got.metadata.keys()], [...ref.metadata.keys()]);
        assert.equal(got.get('general.file_type'), ref.get('general.file_type'));
        assert.ok(readFileSync(out).equals(readFileSync(`../shared/reference/quant/quant-${t}.gguf`)), 'whole file identical');
      } finally {
        ref.close();
        got.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const t of ['Q8_0', 'Q4_0', 'Q4_K_M']) {
  test(`${t} of llama-tiny-shape-F16.gguf is llama-quantize's llama-tiny-shape-${t}.gguf, byte for byte`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'quant-'));
    try {
      const out = join(dir, `${t}.gguf`);
      quantizeGGUF('../shared/models/llama-tiny-shape-F16.gguf', out, t);
      // Per tensor first, for a readable failure; then the whole file: header, metadata order, padding.
      assertSameTensors(out, `../shared/models/llama-tiny-shape-${t}.gguf`);
      assert.ok(readFileSync(out).equals(readFileSync(`../shared/models/llama-tiny-shape-${t}.gguf`)), 'whole file identical');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('quantize refuses an unknown type and requantizing, naming what to do', () => {
  assert.throws(() => quantizeGGUF('../shared/models/llama-tiny-shape-F16.gguf', '/nonexistent/x.gguf', 'Q7_X'), isError('BAD_ARGUMENT', "'Q7_X'"));
  const dir = mkdtempSync(join(tmpdir(), 'quant-'));
  try {
    assert.throws(
      () => quantizeGGUF('../shared/models/llama-tiny-shape-Q8_0.gguf', join(dir, 'x.gguf'), 'Q4_0'),
      isError('BAD_ARGUMENT', 'already Q8_0', 'llama-tiny-shape-Q8_0.gguf'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
