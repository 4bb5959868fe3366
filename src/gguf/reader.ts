import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fail } from '../errors.js';
import { GGMLType, isKnownType, typeName, typeTraits } from '../tensor/ggml-type.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUFValueType,
  type GGUFMetadataEntry,
  type GGUFTensorInfo,
  type GGUFValue,
} from './types.js';

const MAX_DIMS = 4;
const CHUNK = 1 << 20;

/** Byte size of each fixed-width value type; strings and arrays are variable. */
const SCALAR_SIZE: Partial<Record<GGUFValueType, number>> = {
  [GGUFValueType.UINT8]: 1,
  [GGUFValueType.INT8]: 1,
  [GGUFValueType.UINT16]: 2,
  [GGUFValueType.INT16]: 2,
  [GGUFValueType.UINT32]: 4,
  [GGUFValueType.INT32]: 4,
  [GGUFValueType.FLOAT32]: 4,
  [GGUFValueType.BOOL]: 1,
  [GGUFValueType.UINT64]: 8,
  [GGUFValueType.INT64]: 8,
  [GGUFValueType.FLOAT64]: 8,
};

/**
 * Sequential reader over the header part of a file. It pulls the file in 1 MiB chunks with positional reads,
 * so that opening a multi-GB model touches only its header; every length is checked against the bytes
 * that remain before anything is allocated, which bounds time and memory on hostile input.
 */
class HeaderCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    private readonly path: string,
  ) {}

  get remaining(): number {
    return this.fileSize - this.pos;
  }

  /** Makes [pos, pos+n) available in `buf` and returns its offset there. */
  private need(n: number, what: string): number {
    if (n > this.remaining) {
      fail('BAD_FILE', `${this.path}: truncated GGUF: ${what} needs ${n} bytes at offset ${this.pos}, file has ${this.remaining} left`);
    }
    const end = this.pos + n;
    if (this.pos < this.bufStart || end > this.bufStart + this.buf.length) {
      const size = Math.min(Math.max(n, CHUNK), this.fileSize - this.pos);
      const next = Buffer.allocUnsafe(size);
      const got = readSync(this.fd, next, 0, size, this.pos);
      if (got < n) fail('BAD_FILE', `${this.path}: short read at offset ${this.pos}`);
      this.buf = next.subarray(0, got);
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos = end;
    return at;
  }

  u8(what: string): number {
    const at = this.need(1, what);
    return this.buf.readUInt8(at);
  }
  i8(what: string): number {
    const at = this.need(1, what);
    return this.buf.readInt8(at);
  }
  u16(what: string): number {
    const at = this.need(2, what);
    return this.buf.readUInt16LE(at);
  }
  i16(what: string): number {
    const at = this.need(2, what);
    return this.buf.readInt16LE(at);
  }
  u32(what: string): number {
    const at = this.need(4, what);
    return this.buf.readUInt32LE(at);
  }
  i32(what: string): number {
    const at = this.need(4, what);
    return this.buf.readInt32LE(at);
  }
  f32(what: string): number {
    const at = this.need(4, what);
    return this.buf.readFloatLE(at);
  }
  f64(what: string): number {
    const at = this.need(8, what);
    return this.buf.readDoubleLE(at);
  }
  u64(what: string): bigint {
    const at = this.need(8, what);
    return this.buf.readBigUInt64LE(at);
  }
  i64(what: string): bigint {
    const at = this.need(8, what);
    return this.buf.readBigInt64LE(at);
  }

  /** A u64 count or length that must fit in what is left of the file at `minBytesEach` bytes per item. */
  count(what: string, minBytesEach: number): number {
    const at = this.pos;
    const n = this.u64(what);
    if (minBytesEach > 0 && n > BigInt(Math.floor(this.remaining / minBytesEach))) {
      fail('BAD_FILE', `${this.path}: ${what} is ${n} at offset ${at}, more than the ${this.remaining} bytes left in the file can hold`);
    }
    return Number(n);
  }

  string(what: string): string {
    const len = this.count(`${what} length`, 1);
    const at = this.need(len, what);
    return this.buf.toString('utf8', at, at + len);
  }
}

function readValue(c: HeaderCursor, type: GGUFValueType, what: string): GGUFValue {
  switch (type) {
    case GGUFValueType.UINT8:
      return c.u8(what);
    case GGUFValueType.INT8:
      return c.i8(what);
    case GGUFValueType.UINT16:
      return c.u16(what);
    case GGUFValueType.INT16:
      return c.i16(what);
    case GGUFValueType.UINT32:
      return c.u32(what);
    case GGUFValueType.INT32:
      return c.i32(what);
    case GGUFValueType.FLOAT32:
      return c.f32(what);
    case GGUFValueType.BOOL: {
      const b = c.u8(what);
      if (b > 1) fail('BAD_FILE', `invalid bool value ${b} for ${what}`);
      return b === 1;
    }
    case GGUFValueType.STRING:
      return c.string(what);
    case GGUFValueType.UINT64:
      return c.u64(what);
    case GGUFValueType.INT64:
      return c.i64(what);
    case GGUFValueType.FLOAT64:
      return c.f64(what);
    case GGUFValueType.ARRAY: {
      const itemType = c.u32(`${what} array type`) as GGUFValueType;
      if (!(itemType in GGUFValueType)) fail('BAD_FILE', `unknown array item type ${itemType} for ${what}`);
      // Strings need at least their 8-byte length, nested arrays at least type + count.
      const minSize = SCALAR_SIZE[itemType] ?? (itemType === GGUFValueType.STRING ? 8 : 12);
      const n = c.count(`${what} array length`, minSize);
      const items = new Array<GGUFValue>(n);
      for (let i = 0; i < n; i++) items[i] = readValue(c, itemType, what);
      return { itemType, items };
    }
    default:
      return fail('BAD_FILE', `unknown metadata value type ${type as number} for ${what}`);
  }
}

/**
 * An opened GGUF file: metadata and tensor infos parsed, tensor bytes read on demand.
 * Holds a file descriptor until close().
 */
export class GGUFFile {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly fileSize: number,
    readonly version: number,
    readonly metadata: ReadonlyMap<string, GGUFMetadataEntry>,
    readonly tensors: readonly GGUFTensorInfo[],
    readonly alignment: number,
    /** Absolute file offset of the data section. */
    readonly dataOffset: number,
  ) {
    this.fd = fd;
  }

  static open(path: string): GGUFFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      return fail('MISSING', `cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      return GGUFFile.parse(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private static parse(path: string, fd: number): GGUFFile {
    const fileSize = fstatSync(fd).size;
    const c = new HeaderCursor(fd, fileSize, path);
    const magic = c.u32('magic');
    if (magic !== GGUF_MAGIC) fail('BAD_FILE', `${path}: not a GGUF file (bad magic 0x${magic.toString(16).padStart(8, '0')})`);
    const version = c.u32('version');
    if (version !== 2 && version !== 3) fail('UNSUPPORTED', `${path}: GGUF version ${version} is not supported (only 2 and 3)`);
    // A tensor info takes at least 8 (name len) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; a KV at least 8 + 4.
    const tensorCount = c.count('tensor count', 24);
    const kvCount = c.count('metadata count', 12);

    const metadata = new Map<string, GGUFMetadataEntry>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string(`metadata key #${i}`);
      const type = c.u32(`type of ${key}`) as GGUFValueType;
      const value = readValue(c, type, key);
      if (metadata.has(key)) fail('BAD_FILE', `${path}: duplicate metadata key '${key}'`);
      metadata.set(key, { type, value });
    }

    const alignEntry = metadata.get('general.alignment');
    let alignment = GGUF_DEFAULT_ALIGNMENT;
    if (alignEntry !== undefined) {
      const a = alignEntry.value;
      if (typeof a !== 'number' || a <= 0 || (a & (a - 1)) !== 0) fail('BAD_FILE', `${path}: general.alignment must be a power of two, got ${String(a)}`);
      alignment = a;
    }

    const tensors: GGUFTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const name = c.string(`tensor name #${i}`);
      if (names.has(name)) fail('BAD_FILE', `${path}: duplicate tensor '${name}'`);
      names.add(name);
      const nDims = c.u32(`dimension count of ${name}`);
      if (nDims < 1 || nDims > MAX_DIMS) fail('BAD_FILE', `${path}: tensor '${name}' has ${nDims} dimensions (1..${MAX_DIMS} allowed)`);
      const dims: number[] = [];
      let count = 1;
      for (let d = 0; d < nDims; d++) {
        const n = c.u64(`dimension ${d} of ${name}`);
        if (n === 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) fail('BAD_FILE', `${path}: tensor '${name}' has invalid dimension ${n}`);
        dims.push(Number(n));
        count *= Number(n);
      }
      if (!Number.isSafeInteger(count) || count > fileSize * 64) fail('BAD_FILE', `${path}: tensor '${name}' claims ${count} elements, more than the file can hold`);
      const typeId = c.u32(`type of ${name}`);
      if (!isKnownType(typeId)) fail('UNSUPPORTED', `${path}: tensor '${name}' has unknown ggml type id ${typeId}`);
      const type = typeId as GGMLType;
      const offsetBig = c.u64(`offset of ${name}`);
      if (offsetBig > BigInt(fileSize)) fail('BAD_FILE', `${path}: tensor '${name}' offset ${offsetBig} is past the end of the file`);
      const offset = Number(offsetBig);
      if (offset % alignment !== 0) fail('BAD_FILE', `${path}: tensor '${name}' offset ${offset} is not aligned to ${alignment}`);
      const { blockSize, typeSize } = typeTraits(type);
      if (dims[0]! % blockSize !== 0) {
        fail('BAD_FILE', `${path}: tensor '${name}' row of ${dims[0]} elements is not a whole number of ${typeName(type)} blocks (${blockSize})`);
      }
      tensors.push({ name, dims, type, offset, count, byteSize: (count / blockSize) * typeSize });
    }

    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    const dataSize = fileSize - dataOffset;
    const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
    let prevEnd = 0;
    let prevName = '';
    for (const t of byOffset) {
      if (t.offset < prevEnd) fail('BAD_FILE', `${path}: tensor '${t.name}' overlaps tensor '${prevName}'`);
      if (t.offset + t.byteSize > dataSize) {
        fail('BAD_FILE', `${path}: tensor '${t.name}' data (${t.byteSize} bytes at ${t.offset}) runs past the end of the file; is the file truncated?`);
      }
      prevEnd = t.offset + t.byteSize;
      prevName = t.name;
    }

    return new GGUFFile(path, fd, fileSize, version, metadata, tensors, alignment, dataOffset);
  }

  /** The metadata value of `key`, or undefined. */
  get(key: string): GGUFValue | undefined {
    return this.metadata.get(key)?.value;
  }

  tensor(name: string): GGUFTensorInfo | undefined {
    return this.tensors.find((t) => t.name === name);
  }

  /** Reads a tensor's raw bytes into `target` (or a new buffer) with one positional read. */
  readTensor(info: GGUFTensorInfo, target?: Uint8Array): Uint8Array {
    if (this.fd === null) fail('BAD_ARGUMENT', `${this.path}: file is closed`);
    const out = target ?? new Uint8Array(info.byteSize);
    if (out.byteLength < info.byteSize) fail('BAD_ARGUMENT', `buffer of ${out.byteLength} bytes is too small for tensor '${info.name}' (${info.byteSize})`);
    let done = 0;
    // readSync moves at most 2 GiB per call.
    while (done < info.byteSize) {
      const n = readSync(this.fd, out, done, Math.min(info.byteSize - done, 1 << 30), this.dataOffset + info.offset + done);
      if (n <= 0) fail('BAD_FILE', `${this.path}: tensor '${info.name}' could not be read (file shrank?)`);
      done += n;
    }
    return out.subarray(0, info.byteSize);
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
