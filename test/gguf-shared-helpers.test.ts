import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileTypeFromName } from '../src/convert/file-type.js';
import { alignmentOf } from '../src/gguf/alignment.js';
import { FileType, fileTypeName } from '../src/gguf/file-type.js';
import { GGUFFile } from '../src/gguf/reader.js';
import type { GGUFMetadataEntry } from '../src/gguf/types.js';
import { GGUFEntry, layoutGGUF } from '../src/gguf/writer.js';
import { fail } from '../src/errors.js';
import { kvU32, rawGGUF, T, tempDir, writeTemp } from './gguf-bytes.js';
import { isError } from './helpers/refusal.js';

const dir = tempDir('gguf-shared');
after(() => rmSync(dir, { recursive: true, force: true }));

test('general.alignment: absent is the GGUF default 32; a u32 power of two is taken; anything else is refused', () => {
  const refuse = (problem: string): never => fail('BAD_ARGUMENT', problem);
  const with_ = (e: GGUFMetadataEntry): ReadonlyMap<string, GGUFMetadataEntry> => new Map([['general.alignment', e]]);
  assert.equal(alignmentOf(new Map(), refuse), 32);
  for (const a of [1, 8, 32, 64, 4096]) assert.equal(alignmentOf(with_(GGUFEntry.u32(a)), refuse), a);
  for (const bad of [GGUFEntry.u32(0), GGUFEntry.u32(48), GGUFEntry.i32(64), GGUFEntry.u64(64n), GGUFEntry.str('32')]) {
    assert.throws(() => alignmentOf(with_(bad), refuse), isError('BAD_ARGUMENT', 'general.alignment must be a u32 power of two'));
  }
});

test('reader and writer refuse the same alignment, each in its own terms', () => {
  const p = writeTemp(dir, 'align48.gguf', rawGGUF({ kvs: [kvU32('general.alignment', 48)] }));
  assert.throws(() => GGUFFile.open(p), isError('BAD_FILE', p, 'general.alignment must be a u32 power of two, got 48 (UINT32)'));
  const badType = writeTemp(dir, 'align-u64.gguf', rawGGUF({ kvs: [{ key: 'general.alignment', value: (b) => b.u32(T.U64).u64(64) }] }));
  assert.throws(() => GGUFFile.open(badType), isError('BAD_FILE', badType, '(UINT64)'));
  assert.throws(() => layoutGGUF(new Map([['general.alignment', GGUFEntry.u32(48)]]), []), isError('BAD_ARGUMENT', 'got 48 (UINT32)'));
});

test('a missing file is MISSING in words; a file that shrinks after opening is a BAD_FILE naming the tensor', () => {
  assert.throws(() => GGUFFile.open(join(dir, 'absent.gguf')), isError('MISSING', 'cannot open', 'absent.gguf', '(ENOENT)'));
  const p = join(dir, 'shrinks.gguf');
  copyFileSync('../shared/models/stories260K.gguf', p);
  const f = GGUFFile.open(p);
  try {
    const last = [...f.tensors].sort((a, b) => b.offset - a.offset)[0]!;
    const whole = f.readTensor(last);
    assert.deepEqual(whole, new Uint8Array(readFileSync('../shared/models/stories260K.gguf').subarray(f.dataOffset + last.offset, f.dataOffset + last.offset + last.byteSize)));
    truncateSync(p, f.dataOffset + last.offset + 4);
    assert.throws(() => f.readTensor(last), isError('BAD_FILE', p, `'${last.name}'`, 'could not be read'));
  } finally {
    f.close();
  }
});

test("one llama_ftype table: llama-quantize's files carry the numbers that convert writes and info names", () => {
  // Each reference file was written by llama-quantize for the named type; its general.file_type is llama.cpp's number.
  const cases: [string, string, string][] = [
    ['quant-src-F32', 'F32', 'all F32'],
    ['llama-tiny-shape-F16', 'F16', 'F16'],
    ['quant-Q4_0', 'Q4_0', 'Q4_0'],
    ['quant-Q4_1', 'Q4_1', 'Q4_1'],
    ['quant-Q5_0', 'Q5_0', 'Q5_0'],
    ['quant-Q5_1', 'Q5_1', 'Q5_1'],
    ['quant-Q8_0', 'Q8_0', 'Q8_0'],
    ['quant-Q2_K', 'Q2_K', 'Q2_K - Medium'],
    ['quant-Q3_K', 'Q3_K_M', 'Q3_K - Medium'],
    ['quant-Q4_K', 'Q4_K_M', 'Q4_K - Medium'],
    ['quant-Q5_K', 'Q5_K_M', 'Q5_K - Medium'],
    ['quant-Q6_K', 'Q6_K', 'Q6_K'],
  ];
  for (const [file, quantizeName, printed] of cases) {
    const info = JSON.parse(readFileSync(`../shared/reference/info/${file}.json`, 'utf8')) as { metadata: Record<string, unknown> };
    const number = info.metadata['general.file_type'];
    assert.equal(fileTypeFromName(quantizeName).fileType, number, `${file}: convert's number for ${quantizeName}`);
    assert.equal(fileTypeName(number as FileType), printed, `${file}: info's name for ${String(number)}`);
  }
});
