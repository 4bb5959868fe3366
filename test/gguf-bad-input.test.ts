import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { GGUFFile } from '../src/gguf/reader.js';
import { Bytes, T, kvStr, kvU32, rawGGUF, tempDir, writeTemp, type RawGGUF, type RawKV, type RawTensor } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const dir = tempDir('gguf-bad');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Opening `path` must fail with `code` and a one-line message naming the file and `parts`, quickly. */
function assertRefused(path: string, code: string, ...parts: (string | RegExp)[]): void {
  const start = performance.now();
  assert.throws(() => GGUFFile.open(path).close(), isError(code, path, ...parts));
  assert.ok(performance.now() - start < 1000, `${path} took ${performance.now() - start} ms to refuse`);
}

const F32 = 0;
const okTensors: RawTensor[] = [
  { name: 'a', dims: [8], type: F32, offset: 0 },
  { name: 'b', dims: [4, 2], type: F32, offset: 32 },
];
const okKvs: RawKV[] = [kvStr('general.architecture', 'llama'), kvU32('llama.block_count', 1)];
const okData = new Uint8Array(64);

let n = 0;
function file(g: Partial<RawGGUF>): string {
  return writeTemp(dir, `case-${n++}.gguf`, rawGGUF({ kvs: okKvs, tensors: okTensors, data: okData, ...g }));
}

test('the well-formed base case opens (so that each bad case differs by one defect)', () => {
  const f = GGUFFile.open(file({}));
  assert.equal(f.tensors.length, 2);
  f.close();
});

test('a file truncated anywhere is refused as truncated', () => {
  const src = '../shared/models/stories260K.gguf';
  const size = statSync(src).size;
  const copy = join(dir, 'truncated.gguf');
  copyFileSync(src, copy);
  const headerEnd = 14176;
  const cuts = new Set<number>();
  for (let c = 0; c < 64; c++) cuts.add(c);
  for (let c = 64; c <= headerEnd; c += 37) cuts.add(c);
  for (let k = 0; k < 20; k++) cuts.add(headerEnd + Math.floor(((size - headerEnd) * k) / 20));
  cuts.add(size - 1);
  // Cut from the longest prefix down, reusing one copy.
  for (const cut of [...cuts].sort((a, b) => b - a)) {
    truncateSync(copy, cut);
    assertRefused(copy, 'BAD_FILE', /truncated|bytes left/);
  }
  assert.ok(cuts.size > 400);
});

test('wrong magic, unsupported versions, big-endian files, empty files, folders, missing files', () => {
  assertRefused(file({ magic: 0x4c4d4747 }), 'BAD_FILE', 'not a GGUF file');
  assertRefused(writeTemp(dir, 'text.gguf', Buffer.from('hello, I am not a model at all\n')), 'BAD_FILE', 'not a GGUF file');
  assertRefused(writeTemp(dir, 'empty.gguf', new Uint8Array(0)), 'BAD_FILE', 'truncated');
  assertRefused(file({ version: 1 }), 'UNSUPPORTED', 'version 1');
  assertRefused(file({ version: 4 }), 'UNSUPPORTED', 'version 4');
  assertRefused(file({ version: 0x03000000 }), 'UNSUPPORTED', 'big-endian');
  assertRefused(dir, 'BAD_ARGUMENT', 'not a regular file');
  assertRefused(join(dir, 'absent.gguf'), 'MISSING', 'ENOENT');
});

test('names read from a corrupt file are escaped and cut short in the one-line message', () => {
  const key = 'bad\nkey\u0000' + 'x'.repeat(500);
  assertRefused(file({ kvs: [{ key, value: (b) => b.u32(99) }] }), 'BAD_FILE', "'bad\\u000akey\\u0000xxx", "...'");
});

test('unknown value, array item and tensor types', () => {
  assertRefused(file({ kvs: [{ key: 'k', value: (b) => b.u32(13).u32(0) }] }), 'BAD_FILE', 'unknown metadata value type 13', "'k'");
  assertRefused(file({ kvs: [{ key: 'k', value: (b) => b.u32(T.ARR).u32(77).u64(1).u32(0) }] }), 'BAD_FILE', 'unknown array item type 77');
  assertRefused(file({ kvs: [{ key: 'flag', value: (b) => b.u32(T.BOOL).u8(2) }] }), 'BAD_FILE', 'bool', "'flag'");
  assertRefused(file({ tensors: [{ name: 'q', dims: [32], type: 4, offset: 0 }] }), 'UNSUPPORTED', 'unknown ggml type id 4', "'q'");
  assertRefused(file({ tensors: [{ name: 'q', dims: [32], type: 0xffffffff, offset: 0 }] }), 'UNSUPPORTED', "'q'");
});

test('tensor data past the end, overlapping or misaligned offsets, bad shapes', () => {
  assertRefused(file({ tensors: [{ name: 'big', dims: [1024], type: F32, offset: 0 }] }), 'BAD_FILE', "'big'", 'past the end');
  assertRefused(file({ tensors: [{ name: 'far', dims: [1], type: F32, offset: 1n << 62n }] }), 'BAD_FILE', "'far'", 'past the end');
  assertRefused(
    file({ tensors: [{ name: 'a', dims: [16], type: F32, offset: 0 }, { name: 'b', dims: [4], type: F32, offset: 32 }] }),
    'BAD_FILE',
    'overlaps',
  );
  assertRefused(file({ tensors: [{ name: 'a', dims: [4], type: F32, offset: 4 }] }), 'BAD_FILE', "'a'", 'not aligned to 32');
  assertRefused(file({ tensors: [{ name: 'a', dims: [], type: F32, offset: 0 }] }), 'BAD_FILE', '0 dimensions');
  assertRefused(file({ tensors: [{ name: 'a', dims: [1, 1, 1, 1, 1], type: F32, offset: 0 }] }), 'BAD_FILE', '5 dimensions');
  assertRefused(file({ tensors: [{ name: 'a', dims: [1n << 40n, 1n << 40n], type: F32, offset: 0 }] }), 'BAD_FILE', 'too many elements');
  assertRefused(file({ tensors: [{ name: 'a', dims: [1n << 60n], type: F32, offset: 0 }] }), 'BAD_FILE', 'absurd dimension');
  assertRefused(file({ tensors: [{ name: 'q', dims: [16], type: 2, offset: 0 }] }), 'BAD_FILE', 'Q4_0 blocks');
  assertRefused(file({ tensors: [okTensors[0]!, { ...okTensors[1]!, name: 'a' }] }), 'BAD_FILE', "duplicate tensor 'a'");
  assertRefused(file({ tensors: [{ name: 'n'.repeat(64), dims: [8], type: F32, offset: 0 }] }), 'BAD_FILE', 'longer than');
  assertRefused(file({ kvs: [kvU32('general.alignment', 3)] }), 'BAD_FILE', 'general.alignment');
  assertRefused(file({ kvs: [{ key: 'general.alignment', value: (b) => b.u32(T.U64).u64(32) }] }), 'BAD_FILE', 'general.alignment');
});

test('absurd counts and lengths are refused before anything is allocated', () => {
  assertRefused(file({ tensorCount: 1n << 60n }), 'BAD_FILE', 'tensor count');
  assertRefused(file({ tensorCount: 3 }), 'BAD_FILE');
  assertRefused(file({ kvCount: 1n << 60n }), 'BAD_FILE', 'metadata count');
  assertRefused(file({ kvCount: 0xffffffffffffffffn }), 'BAD_FILE', 'metadata count');
  // A 1 TB key, a 1 TB string value, 2^62 array items.
  const key = new Bytes().u64(1n << 40n).build();
  assertRefused(file({ kvs: [{ key: 'x', value: (b) => b.u32(T.STR).raw(key) }] }), 'BAD_FILE', "length of 'x'", 'limit');
  assertRefused(writeTemp(dir, 'key-1tb.gguf', Buffer.concat([new Bytes().u32(0x46554747).u32(3).u64(0).u64(1).build(), key, new Uint8Array(64)])), 'BAD_FILE', 'metadata key #0');
  assertRefused(file({ kvs: [{ key: 'arr', value: (b) => b.u32(T.ARR).u32(T.U32).u64(1n << 62n) }] }), 'BAD_FILE', "'arr'");
  assertRefused(file({ tensors: [{ name: 'x'.repeat(10), dims: [8], type: F32, offset: 0, nDims: 0x7fffffff }] }), 'BAD_FILE', 'dimensions');
});

test('limits hold even where a huge (sparse) file has room for the claimed bytes', () => {
  // 2^25 + 1 one-byte items and a 2^27-byte string fit in these files' sizes, but not under GGUF_LIMITS.
  const items = file({ kvs: [{ key: 'bytes', value: (b) => b.u32(T.ARR).u32(T.U8).u64((1 << 25) + 1) }], tensors: [], data: new Uint8Array(0) });
  truncateSync(items, 40 << 20);
  assertRefused(items, 'BAD_FILE', "'bytes'", 'limit');
  const long = file({ kvs: [{ key: 's', value: (b) => b.u32(T.STR).u64(1 << 27) }], tensors: [], data: new Uint8Array(0) });
  truncateSync(long, 200 << 20);
  assertRefused(long, 'BAD_FILE', "'s'", 'limit');
});

test('arrays nested too deep are refused; the deepest allowed nesting reads', () => {
  const nested = (depth: number): RawKV => ({
    key: 'deep',
    value: (b) => {
      b.u32(T.ARR);
      for (let i = 1; i < depth; i++) b.u32(T.ARR).u64(1);
      b.u32(T.U8).u64(1).u8(7);
    },
  });
  const f = GGUFFile.open(file({ kvs: [nested(8)] }));
  f.close();
  assertRefused(file({ kvs: [nested(9)] }), 'BAD_FILE', "'deep'", 'deeper than 8');
  assertRefused(file({ kvs: [nested(100000)] }), 'BAD_FILE', "'deep'", 'deeper than 8');
});

test('the CLI prints a bad file error on one line and exits 1', () => {
  const truncated = join(dir, 'cli-truncated.gguf');
  copyFileSync('../shared/models/stories260K.gguf', truncated);
  truncateSync(truncated, 5000);
  const cases = [truncated, file({ magic: 0 }), '../shared/vocab/ggml-vocab-dbrx.gguf', join(dir, 'absent.gguf')];
  for (const path of cases) {
    const r = spawnSync(process.execPath, ['bin/realizar.js', 'info', path], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, `${path}: exit status (stderr: ${r.stderr})`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^realizar: [^\n]+\n$/, `one line on stderr: ${JSON.stringify(r.stderr)}`);
    assert.ok(r.stderr.includes(path), r.stderr);
  }
  assert.ok(readFileSync(truncated).length === 5000);
});
