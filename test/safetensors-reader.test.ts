import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeTensorsFile } from '../src/safetensors/reader.js';
import { SafeTensorsCheckpoint } from '../src/safetensors/checkpoint.js';
import { typedValues } from '../src/safetensors/dtype.js';
import { expectError } from './helpers/refusal.js';
import { safetensorsBytes } from './helpers/safetensors-bytes.js';

const PR84 = '../shared/hf/vectors/hf-safetensors-pr84';
const SWIFT = '../shared/hf/vectors/swift-transformers';

/** Every pr84 file holds numpy's range(-3, 3) in its dtype, and __metadata__ {test: 'a'}. */
const PR84_FILES: Record<string, { dtype: string; values: readonly (number | bigint)[] }> = {
  b: { dtype: 'I8', values: [-3, -2, -1, 0, 1, 2] },
  B: { dtype: 'U8', values: [253, 254, 255, 0, 1, 2] },
  h: { dtype: 'I16', values: [-3, -2, -1, 0, 1, 2] },
  H: { dtype: 'U16', values: [65533, 65534, 65535, 0, 1, 2] },
  i: { dtype: 'I32', values: [-3, -2, -1, 0, 1, 2] },
  I: { dtype: 'U32', values: [4294967293, 4294967294, 4294967295, 0, 1, 2] },
  f: { dtype: 'F32', values: [-3, -2, -1, 0, 1, 2] },
  d: { dtype: 'F64', values: [-3, -2, -1, 0, 1, 2] },
  // IEEE binary16 encodings of -3, -2, -1, 0, 1, 2 (sign | exponent bias 15 | 10-bit mantissa).
  e: { dtype: 'F16', values: [0xc200, 0xc000, 0xbc00, 0x0000, 0x3c00, 0x4000] },
};

test('every pr84 vector file gives its known values and metadata', () => {
  for (const [name, { dtype, values }] of Object.entries(PR84_FILES)) {
    const f = SafeTensorsFile.open(`${PR84}/${name}.safetensors`);
    try {
      assert.deepEqual([...f.metadata], [['test', 'a']]);
      const t = f.tensor(name);
      assert.ok(t, name);
      assert.equal(t.dtype, dtype);
      assert.deepEqual(t.shape, [6]);
      assert.deepEqual([...f.values(t)], values, name);
    } finally {
      f.close();
    }
  }
});

test('overall.safetensors holds all nine tensors back to back with the same values', () => {
  const f = SafeTensorsFile.open(`${PR84}/overall.safetensors`);
  try {
    assert.equal(f.tensors.length, 9);
    for (const [name, { values }] of Object.entries(PR84_FILES)) assert.deepEqual([...f.values(name)], values, name);
    // Tensors are listed in file order: U8 at 0, U16 at 6, ... as the header says.
    assert.deepEqual(f.tensors.map((t) => t.begin), [0, 6, 18, 42, 48, 96, 108, 132, 144]);
  } finally {
    f.close();
  }
});

test('swift-transformers vectors: multi-dimensional tensors in row-major order', () => {
  const cases: [string, number[], number[]][] = [
    ['tensor-1d-int32', [3], [1, 2, 3]],
    ['tensor-2d-float64', [2, 3], [1, 2, 3, 24, 25, 26]],
    ['tensor-3d-float32', [2, 2, 3], [22, 23, 24, 11, 12, 13, 2, 3, 4, 1, 2, 3]],
    ['tensor-4d-float32', [2, 3, 1, 3], [11, 12, 13, 1, 2, 3, 4, 5, 6, 22, 23, 24, 15, 16, 17, 17, 18, 19]],
  ];
  for (const [file, shape, values] of cases) {
    const f = SafeTensorsFile.open(`${SWIFT}/${file}.safetensors`);
    try {
      assert.equal(f.metadata.size, 0);
      const t = f.tensor('embedding');
      assert.ok(t);
      assert.deepEqual(t.shape, shape);
      assert.deepEqual([...f.values(t)], values, file);
    } finally {
      f.close();
    }
  }
});

test('typed views share the bytes when aligned and copy when not', () => {
  const buf = new Uint8Array(12);
  new DataView(buf.buffer).setFloat32(4, 1.5, true);
  const aligned = typedValues('F32', buf.subarray(4, 8));
  assert.equal(aligned.buffer, buf.buffer);
  assert.deepEqual([...aligned], [1.5]);
  const odd = new Uint8Array(13);
  odd.set(buf.subarray(4, 8), 1);
  const copied = typedValues('F32', odd.subarray(1, 5));
  assert.notEqual(copied.buffer, odd.buffer);
  assert.deepEqual([...copied], [1.5]);
});

/** Builds a safetensors file from a header object (or raw header text) and a data section. */
function makeFile(dir: string, name: string, header: unknown, data: Uint8Array, headerLenOverride?: bigint): string {
  const path = join(dir, name);
  writeFileSync(path, safetensorsBytes(header, data, headerLenOverride));
  return path;
}

test('invalid files fail with an error naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-bad-'));
  try {
    const data = new Uint8Array(16);
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const p = (n: string) => join(dir, n);

    makeFile(dir, 'hugelen.safetensors', ok, data, 1n << 40n);
    expectError(() => SafeTensorsFile.open(p('hugelen.safetensors')), 'BAD_FILE', 'hugelen.safetensors', 'header length');

    writeFileSync(p('short.safetensors'), new Uint8Array(5));
    expectError(() => SafeTensorsFile.open(p('short.safetensors')), 'BAD_FILE', 'short.safetensors', 'header length');

    makeFile(dir, 'json.safetensors', '{"a": ', data);
    expectError(() => SafeTensorsFile.open(p('json.safetensors')), 'BAD_FILE', 'json.safetensors', 'JSON');

    makeFile(dir, 'oob.safetensors', { a: { dtype: 'F32', shape: [6], data_offsets: [0, 24] } }, data);
    expectError(() => SafeTensorsFile.open(p('oob.safetensors')), 'BAD_FILE', 'oob.safetensors', "'a'", 'data_offsets');

    makeFile(dir, 'overlap.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data);
    expectError(() => SafeTensorsFile.open(p('overlap.safetensors')), 'BAD_FILE', 'overlap.safetensors', "'b'", "'a'", 'overlap');

    makeFile(dir, 'count.safetensors', { a: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, data);
    expectError(() => SafeTensorsFile.open(p('count.safetensors')), 'BAD_FILE', 'count.safetensors', "'a'", 'shape [2, 3]', '12 bytes');

    makeFile(dir, 'dtype.safetensors', { a: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, data);
    expectError(() => SafeTensorsFile.open(p('dtype.safetensors')), 'UNSUPPORTED', 'dtype.safetensors', "'a'", 'dtype');

    makeFile(dir, 'shape.safetensors', { a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data);
    expectError(() => SafeTensorsFile.open(p('shape.safetensors')), 'BAD_FILE', 'shape.safetensors', 'shape');

    makeFile(dir, 'reversed.safetensors', { a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, data);
    expectError(() => SafeTensorsFile.open(p('reversed.safetensors')), 'BAD_FILE', 'reversed.safetensors', 'data_offsets');

    makeFile(dir, 'meta.safetensors', { __metadata__: { n: 3 }, ...ok }, data);
    expectError(() => SafeTensorsFile.open(p('meta.safetensors')), 'BAD_FILE', 'meta.safetensors', '__metadata__.n');

    makeFile(dir, 'array.safetensors', '[1, 2]', data);
    expectError(() => SafeTensorsFile.open(p('array.safetensors')), 'BAD_FILE', 'array.safetensors', 'object');

    expectError(() => SafeTensorsFile.open(p('absent.safetensors')), 'MISSING', 'absent.safetensors');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sharded checkpoint joins its shards through the index and checks it', () => {
  const ck = SafeTensorsCheckpoint.open('../shared/hf/llama-tiny-hf');
  try {
    assert.equal(ck.files.length, 2);
    const names = [...ck.tensors].map((t) => t.name);
    assert.equal(names.length, 39);
    const norm = ck.tensor('model.norm.weight');
    assert.ok(norm);
    assert.ok(norm.file.path.endsWith('model-00002-of-00002.safetensors'));
    assert.deepEqual(norm.shape, [256]);
    const emb = ck.tensor('model.embed_tokens.weight');
    assert.ok(emb);
    assert.equal(emb.dtype, 'F16');
    assert.deepEqual(emb.shape, [32000, 256]);
  } finally {
    ck.close();
  }

  const dir = mkdtempSync(join(tmpdir(), 'st-shard-'));
  try {
    const data = new Uint8Array(8);
    makeFile(dir, 's1.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 's1.safetensors', b: 's2.safetensors' } }));
    expectError(() => SafeTensorsCheckpoint.open(dir), 'MISSING', 's2.safetensors');
    copyFileSync(join(dir, 's1.safetensors'), join(dir, 's2.safetensors'));
    expectError(() => SafeTensorsCheckpoint.open(dir), 'BAD_FILE', "'a'", 's1.safetensors');
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../s1.safetensors' } }));
    expectError(() => SafeTensorsCheckpoint.open(dir), 'BAD_FILE', 'weight_map');
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {} }));
    expectError(() => SafeTensorsCheckpoint.open(dir), 'MISSING', 'model.safetensors.index.json', 'weight_map');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
