import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GGUFFile } from '../src/gguf/reader.js';
import { GGUFValueType } from '../src/gguf/types.js';
import { GGUFEntry, tensorSourcesOf, writeGGUF, type GGUFTensorSource } from '../src/gguf/writer.js';
import { GGMLType } from '../src/tensor/ggml-type.js';
import { T, kvStr, kvU32, rawGGUF, tempDir } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const dir = tempDir('gguf-writer');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every GGUF in the shared data that llama.cpp can load, with how many each folder must hold. */
const CORPUS: readonly [string, number][] = [
  ['../shared/models', 6],
  ['../shared/vocab', 12],
  ['../shared/reference/quant', 11],
];

test('write(read(f)) reproduces every shared GGUF byte for byte', () => {
  let files = 0;
  for (const [folder, expected] of CORPUS) {
    const names = readdirSync(folder).filter((n) => n.endsWith('.gguf') && n !== 'ggml-vocab-dbrx.gguf');
    assert.equal(names.length, expected, `${folder} should hold ${expected} loadable .gguf files`);
    for (const name of names) {
      const src = join(folder, name);
      const out = join(dir, 'copy.gguf');
      const f = GGUFFile.open(src);
      try {
        writeGGUF(out, f.metadata, tensorSourcesOf(f, 1 << 20), { version: f.version as 2 | 3 });
        const copy = GGUFFile.open(out);
        try {
          assert.deepEqual(copy.metadata, f.metadata, `${name}: metadata`);
          assert.deepEqual(copy.tensors, f.tensors, `${name}: tensor infos`);
          for (const t of f.tensors) assert.ok(Buffer.from(copy.readTensor(copy.tensor(t.name)!)).equals(f.readTensor(t)), `${name}: ${t.name}`);
        } finally {
          copy.close();
        }
        // The oracle: the bytes llama.cpp / gguf-py wrote.
        assert.ok(readFileSync(out).equals(readFileSync(src)), `${name}: output differs from the input file`);
      } finally {
        f.close();
      }
      files++;
    }
  }
  assert.equal(files, 29);
});

test('writes exactly the bytes of a hand-encoded file, with tensors padded to the alignment', () => {
  const a = new Float32Array([1, -2, 3.5]);
  const b = new Uint16Array([0x3c00, 0xc000, 0, 0x7bff, 1]);
  const metadata = new Map([
    ['general.architecture', GGUFEntry.str('llama')],
    ['general.alignment', GGUFEntry.u32(64)],
    ['x.f32', GGUFEntry.f32(0.25)],
    ['x.i64', GGUFEntry.i64(-5n)],
    ['x.bool', GGUFEntry.bool(true)],
    ['x.ids', GGUFEntry.array(GGUFValueType.INT32, [3, -4])],
  ]);
  const out = join(dir, 'hand.gguf');
  writeGGUF(out, metadata, [
    { name: 'a', type: GGMLType.F32, dims: [3], data: new Uint8Array(a.buffer) },
    { name: 'b', type: GGMLType.F16, dims: [5, 1], data: () => new Uint8Array(b.buffer) },
  ]);
  const data = new Uint8Array(128);
  data.set(new Uint8Array(a.buffer), 0);
  data.set(new Uint8Array(b.buffer), 64);
  const expected = rawGGUF({
    alignment: 64,
    kvs: [
      kvStr('general.architecture', 'llama'),
      kvU32('general.alignment', 64),
      { key: 'x.f32', value: (w) => w.u32(T.F32).f32(0.25) },
      { key: 'x.i64', value: (w) => w.u32(T.I64).i64(-5n) },
      { key: 'x.bool', value: (w) => w.u32(T.BOOL).u8(1) },
      { key: 'x.ids', value: (w) => w.u32(T.ARR).u32(T.I32).u64(2).i32(3).i32(-4) },
    ],
    tensors: [
      { name: 'a', dims: [3], type: 0, offset: 0 },
      { name: 'b', dims: [5, 1], type: 1, offset: 64 },
    ],
    data,
  });
  assert.deepEqual(readFileSync(out), expected);
});

test('streams a tensor produced in chunks, asking for it only when its turn comes', () => {
  const calls: string[] = [];
  const values = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5);
  const bytes = new Uint8Array(values.buffer);
  const tensors: GGUFTensorSource[] = [
    {
      name: 'first',
      type: GGMLType.F32,
      dims: [1],
      data: () => {
        calls.push('first');
        return new Uint8Array(4);
      },
    },
    {
      name: 'chunked',
      type: GGMLType.F32,
      dims: [1000],
      data: function* () {
        calls.push('chunked');
        for (let at = 0; at < bytes.length; at += 333) yield bytes.subarray(at, Math.min(at + 333, bytes.length));
      },
    },
  ];
  const progress: number[] = [];
  const out = join(dir, 'chunked.gguf');
  writeGGUF(out, new Map(), tensors, { onProgress: (written) => progress.push(written) });
  assert.deepEqual(calls, ['first', 'chunked']);
  assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]!));
  const f = GGUFFile.open(out);
  try {
    const read = f.readTensor(f.tensor('chunked')!);
    assert.deepEqual(new Float32Array(read.slice().buffer), values);
  } finally {
    f.close();
  }
});

test('an interrupted or inconsistent write leaves neither a target nor a temporary file', () => {
  const target = join(dir, 'interrupted.gguf');
  writeFileSync(target, 'previous');
  const failing: GGUFTensorSource = {
    name: 't',
    type: GGMLType.F32,
    dims: [256],
    data: function* () {
      yield new Uint8Array(512);
      throw new Error('disk on fire');
    },
  };
  assert.throws(() => writeGGUF(target, new Map(), [failing]), /disk on fire/);
  assert.equal(readFileSync(target, 'utf8'), 'previous');
  const short: GGUFTensorSource = { name: 't', type: GGMLType.F32, dims: [256], data: new Uint8Array(1000) };
  assert.throws(() => writeGGUF(target, new Map(), [short]), isError('BAD_ARGUMENT', "'t'", '1000', '1024'));
  const long: GGUFTensorSource = { name: 't', type: GGMLType.F32, dims: [2], data: new Uint8Array(12) };
  assert.throws(() => writeGGUF(target, new Map(), [long]), isError('BAD_ARGUMENT', "'t'", 'more than'));
  assert.equal(readFileSync(target, 'utf8'), 'previous');
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);

  const fresh = join(dir, 'never.gguf');
  assert.throws(() => writeGGUF(fresh, new Map(), [failing]), /disk on fire/);
  assert.equal(existsSync(fresh), false);
});

test('refuses values that do not fit their declared type and tensors the reader would refuse', () => {
  const out = join(dir, 'bad.gguf');
  const meta = (key: string, type: GGUFValueType, value: never): void => writeGGUF(out, new Map([[key, { type, value }]]), []);
  assert.throws(() => meta('k', GGUFValueType.UINT8, 256 as never), isError('BAD_ARGUMENT', "'k'", 'UINT8'));
  assert.throws(() => meta('k', GGUFValueType.INT32, 1.5 as never), isError('BAD_ARGUMENT', 'INT32'));
  assert.throws(() => meta('k', GGUFValueType.UINT64, -1n as never), isError('BAD_ARGUMENT', 'UINT64'));
  assert.throws(() => meta('k', GGUFValueType.STRING, 3 as never), isError('BAD_ARGUMENT', 'string'));
  assert.throws(() => meta('k', GGUFValueType.ARRAY, 'x' as never), isError('BAD_ARGUMENT', 'ARRAY'));
  assert.throws(() => meta('general.alignment', GGUFValueType.UINT32, 48 as never), isError('BAD_ARGUMENT', 'power of two'));
  const t = (name: string, type: GGMLType, dims: number[]): GGUFTensorSource => ({ name, type, dims, data: new Uint8Array(0) });
  assert.throws(() => writeGGUF(out, new Map(), [t('q', GGMLType.Q4_0, [16])]), isError('BAD_ARGUMENT', 'Q4_0', "'q'"));
  assert.throws(() => writeGGUF(out, new Map(), [t('x'.repeat(64), GGMLType.F32, [1])]), isError('BAD_ARGUMENT', '63'));
  assert.throws(() => writeGGUF(out, new Map(), [t('d', GGMLType.F32, [1]), t('d', GGMLType.F32, [1])]), isError('BAD_ARGUMENT', 'twice'));
  assert.throws(() => writeGGUF(out, new Map(), [t('e', GGMLType.F32, [1, 1, 1, 1, 1])]), isError('BAD_ARGUMENT', 'dimensions'));
  assert.equal(existsSync(out), false);
});
