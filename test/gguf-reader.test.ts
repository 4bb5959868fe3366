import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GGUFFile } from '../src/gguf/reader.js';
import { GGUFValueType } from '../src/gguf/types.js';
import { layoutGGUF } from '../src/gguf/writer.js';
import { GGMLType } from '../src/tensor/ggml-type.js';
import { Bytes, T, kvStr, kvU32, rawGGUF, tempDir, writeTemp } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const dir = tempDir('gguf-reader');
after(() => rmSync(dir, { recursive: true, force: true }));

test('opens stories260K and reads its header', () => {
  const f = GGUFFile.open('../shared/models/stories260K.gguf');
  try {
    assert.equal(f.version, 3);
    assert.equal(f.get('general.architecture'), 'llama');
    const emb = f.tensor('token_embd.weight');
    assert.ok(emb);
    assert.deepEqual(emb.dims, [64, 512]);
    assert.equal(emb.type, GGMLType.F32);
    const bytes = f.readTensor(emb);
    assert.equal(bytes.byteLength, 64 * 512 * 4);
    // A range read returns the same bytes as the matching slice of a whole read.
    assert.deepEqual(f.readTensorRange(emb, 1000, 24), bytes.subarray(1000, 1024));
    assert.throws(() => f.readTensorRange(emb, bytes.byteLength - 4, 8), isError('BAD_ARGUMENT', 'token_embd.weight'));
    assert.throws(() => f.readTensor({ ...emb, offset: 0, name: 'output.weight' }), isError('BAD_ARGUMENT', 'does not belong'));
  } finally {
    f.close();
  }
  assert.throws(() => f.readTensor(f.tensors[0]!), isError('BAD_ARGUMENT', 'closed'));
});

/** Every metadata value type, including 64-bit extremes and nested arrays, against hand-encoded bytes. */
test('reads every metadata value type of GGUF v2 and v3', () => {
  const kvs = [
    { key: 'u8', value: (b: Bytes) => b.u32(T.U8).u8(255) },
    { key: 'i8', value: (b: Bytes) => b.u32(T.I8).u8(0x80) },
    { key: 'u16', value: (b: Bytes) => b.u32(T.U16).u16(65535) },
    { key: 'i16', value: (b: Bytes) => b.u32(T.I16).u16(0x8001) },
    { key: 'u32', value: (b: Bytes) => b.u32(T.U32).u32(0xffffffff) },
    { key: 'i32', value: (b: Bytes) => b.u32(T.I32).i32(-123456789) },
    { key: 'f32', value: (b: Bytes) => b.u32(T.F32).u32(0x3dcccccd) },
    { key: 'bool.t', value: (b: Bytes) => b.u32(T.BOOL).u8(1) },
    { key: 'bool.f', value: (b: Bytes) => b.u32(T.BOOL).u8(0) },
    { key: 'str', value: (b: Bytes) => b.u32(T.STR).str('héllo ✓ 🦙') },
    { key: 'empty', value: (b: Bytes) => b.u32(T.STR).str('') },
    { key: 'u64', value: (b: Bytes) => b.u32(T.U64).u64(0xffffffffffffffffn) },
    { key: 'i64', value: (b: Bytes) => b.u32(T.I64).i64(-(1n << 63n)) },
    { key: 'f64', value: (b: Bytes) => b.u32(T.F64).f64(Math.PI) },
    { key: 'arr.i32', value: (b: Bytes) => b.u32(T.ARR).u32(T.I32).u64(3).i32(-1).i32(0).i32(7) },
    { key: 'arr.str', value: (b: Bytes) => b.u32(T.ARR).u32(T.STR).u64(2).str('a').str('') },
    { key: 'arr.empty', value: (b: Bytes) => b.u32(T.ARR).u32(T.F32).u64(0) },
    {
      key: 'arr.nested',
      value: (b: Bytes) => b.u32(T.ARR).u32(T.ARR).u64(2).u32(T.U8).u64(2).u8(1).u8(2).u32(T.BOOL).u64(1).u8(1),
    },
  ];
  for (const version of [2, 3]) {
    const p = writeTemp(dir, `types-v${version}.gguf`, rawGGUF({ version, kvs }));
    const f = GGUFFile.open(p);
    try {
      assert.equal(f.version, version);
      assert.deepEqual([...f.metadata.keys()], kvs.map((k) => k.key));
      assert.equal(f.get('u8'), 255);
      assert.equal(f.get('i8'), -128);
      assert.equal(f.get('u16'), 65535);
      assert.equal(f.get('i16'), -32767);
      assert.equal(f.get('u32'), 4294967295);
      assert.equal(f.get('i32'), -123456789);
      assert.equal(f.get('f32'), Math.fround(0.1));
      assert.equal(f.get('bool.t'), true);
      assert.equal(f.get('bool.f'), false);
      assert.equal(f.get('str'), 'héllo ✓ 🦙');
      assert.equal(f.get('empty'), '');
      assert.equal(f.get('u64'), 18446744073709551615n);
      assert.equal(f.get('i64'), -9223372036854775808n);
      assert.equal(f.get('f64'), Math.PI);
      assert.deepEqual(f.get('arr.i32'), { itemType: GGUFValueType.INT32, items: [-1, 0, 7] });
      assert.deepEqual(f.get('arr.str'), { itemType: GGUFValueType.STRING, items: ['a', ''] });
      assert.deepEqual(f.get('arr.empty'), { itemType: GGUFValueType.FLOAT32, items: [] });
      assert.deepEqual(f.get('arr.nested'), {
        itemType: GGUFValueType.ARRAY,
        items: [
          { itemType: GGUFValueType.UINT8, items: [1, 2] },
          { itemType: GGUFValueType.BOOL, items: [true] },
        ],
      });
      assert.equal(f.metadata.get('u64')?.type, GGUFValueType.UINT64);
      assert.equal(f.tensors.length, 0);
    } finally {
      f.close();
    }
  }
});

test('typed metadata accessors convert what fits and name the key on a wrong type', () => {
  const p = writeTemp(
    dir,
    'typed.gguf',
    rawGGUF({
      kvs: [
        kvU32('n', 7),
        kvStr('s', 'x'),
        { key: 'big', value: (b) => b.u32(T.U64).u64(1n << 60n) },
        { key: 'small64', value: (b) => b.u32(T.U64).u64(12) },
        { key: 'neg', value: (b) => b.u32(T.I32).i32(-3) },
        { key: 'ids', value: (b) => b.u32(T.ARR).u32(T.U64).u64(2).u64(1).u64(2) },
        { key: 'names', value: (b) => b.u32(T.ARR).u32(T.STR).u64(1).str('a') },
      ],
    }),
  );
  const f = GGUFFile.open(p);
  try {
    assert.equal(f.getNumber('n'), 7);
    assert.equal(f.getNumber('small64'), 12);
    assert.equal(f.getNumber('absent'), undefined);
    assert.equal(f.getString('s'), 'x');
    assert.deepEqual(f.getNumberArray('ids'), [1, 2]);
    assert.deepEqual(f.getStringArray('names'), ['a']);
    assert.throws(() => f.getNumber('s'), isError('BAD_FILE', "'s'", 'STRING', 'expected a number'));
    assert.throws(() => f.getString('n'), isError('BAD_FILE', "'n'", 'UINT32'));
    assert.throws(() => f.getNumber('big'), isError('BAD_FILE', "'big'"));
    assert.throws(() => f.getCount('neg'), isError('BAD_FILE', "'neg'", 'non-negative'));
    assert.throws(() => f.getStringArray('ids'), isError('BAD_FILE', "'ids'", 'array of UINT64'));
    assert.throws(() => f.getBool('n'), isError('BAD_FILE', "'n'"));
    assert.throws(() => f.requireString('general.name'), isError('MISSING', "'general.name'", p));
  } finally {
    f.close();
  }
});

test('honours general.alignment for the data section and tensor offsets', () => {
  const data = new Uint8Array(64 + 16);
  new DataView(data.buffer).setFloat32(64, 1.5, true);
  const bytes = rawGGUF({
    alignment: 64,
    kvs: [kvU32('general.alignment', 64)],
    tensors: [
      { name: 'a', dims: [2], type: 0, offset: 0 },
      { name: 'b', dims: [4], type: 0, offset: 64 },
    ],
    data,
  });
  const f = GGUFFile.open(writeTemp(dir, 'align64.gguf', bytes));
  try {
    assert.equal(f.alignment, 64);
    assert.equal(f.dataOffset % 64, 0);
    assert.equal(f.dataOffset, bytes.length - data.length);
    const b = f.readTensor(f.tensor('b')!);
    assert.equal(new DataView(b.buffer, b.byteOffset).getFloat32(0, true), 1.5);
  } finally {
    f.close();
  }
});

test('refuses ggml-vocab-dbrx.gguf, which repeats a metadata key', () => {
  assert.throws(() => GGUFFile.open('../shared/vocab/ggml-vocab-dbrx.gguf'), isError('BAD_FILE', 'ggml-vocab-dbrx.gguf', 'duplicate', "'general.file_type'"));
});

test('opening a file with a ~2 GB tensor reads only its header', () => {
  const elements = 1 << 29; // 2 GiB of F32
  const layout = layoutGGUF(new Map([['general.name', { type: GGUFValueType.STRING, value: 'sparse' }]]), [
    { name: 'big', type: GGMLType.F32, dims: [1024, elements / 1024] },
  ]);
  const p = join(dir, 'sparse-2g.gguf');
  const fd = openSync(p, 'w');
  writeSync(fd, layout.header);
  closeSync(fd);
  truncateSync(p, layout.fileSize);

  const before = process.memoryUsage().rss;
  const f = GGUFFile.open(p);
  const grown = process.memoryUsage().rss - before;
  try {
    const big = f.tensor('big')!;
    assert.equal(big.byteSize, 2 ** 31);
    assert.equal(f.fileSize, layout.fileSize);
    assert.deepEqual(f.readTensorRange(big, big.byteSize - 8, 8), new Uint8Array(8));
    // The header is read in 1 MiB chunks; a few MB of slack covers allocator noise.
    assert.ok(grown < 8 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB opening a 2 GiB file`);
  } finally {
    f.close();
    truncateSync(p, 0);
  }
});
