import { closeSync, fstatSync } from 'node:fs';
import { fail } from '../errors.js';
import { openForReading } from '../io/open-for-reading.js';
import { readAt } from '../io/read-at.js';
import { alignmentOf } from './alignment.js';
import { quoted } from './quoted.js';
import { GGMLType, isKnownType, typeName, typeTraits } from '../tensor/ggml-type.js';
import { GGUF_LIMITS } from './limits.js';
import { MetadataView } from './metadata.js';
import {
  GGUF_MAGIC,
  GGUFValueType,
  GGUF_SCALAR_SIZE,
  type GGUFMetadataEntry,
  type GGUFTensorInfo,
  type GGUFValue,
} from './types.js';

const CHUNK = 1 << 20;
/** Minimum bytes of one tensor info: name length (8) + n_dims (4) + one dim (8) + type (4) + offset (8). */
const MIN_TENSOR_INFO_BYTES = 32;
/** Minimum bytes of one key/value: key length (8) + value type (4) + the smallest value (1). */
const MIN_KV_BYTES = 13;

/**
 * Sequential reader over the header part of a file. It pulls the file in 1 MiB chunks with positional reads,
 * so that opening a multi-GB model touches only its header; every length is checked against the bytes
 * that remain (and against GGUF_LIMITS) before anything is allocated, which bounds time and memory on
 * hostile input.
 */
class HeaderCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  /** Array items read so far, against GGUF_LIMITS.maxArrayItems. */
  arrayItems = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    readonly path: string,
  ) {}

  get remaining(): number {
    return this.fileSize - this.pos;
  }

  /** Makes [pos, pos+n) available in `buf` and returns its offset there; it may replace `buf`, so call it first. */
  private need(n: number, what: string): number {
    if (n > this.remaining) {
      fail('BAD_FILE', `${this.path}: truncated GGUF: ${what} needs ${n} bytes at offset ${this.pos}, the file has ${this.remaining} left; download or convert it again`);
    }
    const end = this.pos + n;
    if (this.pos < this.bufStart || end > this.bufStart + this.buf.length) {
      const size = Math.min(Math.max(n, CHUNK), this.remaining);
      const next = Buffer.allocUnsafe(size);
      let got: number;
      try {
        got = readAt(this.fd, next, this.pos);
      } catch (e) {
        return fail('BAD_FILE', `${this.path}: cannot read at offset ${this.pos}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      if (got < n) fail('BAD_FILE', `${this.path}: short read at offset ${this.pos} (did the file shrink while being read?)`);
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

  /**
   * A u64 count or length that must fit in what is left of the file at `minBytesEach` bytes per item,
   * and under `limit`.
   */
  count(what: string, minBytesEach: number, limit: number): number {
    const at = this.pos;
    const n = this.u64(what);
    if (n > BigInt(limit)) fail('BAD_FILE', `${this.path}: ${what} is ${n} at offset ${at}, over the limit of ${limit}; the file is corrupt`);
    if (n > BigInt(Math.floor(this.remaining / minBytesEach))) {
      fail('BAD_FILE', `${this.path}: ${what} is ${n} at offset ${at}, more than the ${this.remaining} bytes left in the file can hold`);
    }
    return Number(n);
  }

  string(what: string): string {
    const len = this.count(`length of ${what}`, 1, GGUF_LIMITS.maxStringBytes);
    const at = this.need(len, what);
    // Invalid UTF-8 becomes U+FFFD, as llama.cpp would pass the bytes on uninterpreted; no real file has any.
    return this.buf.toString('utf8', at, at + len);
  }
}

function readValue(c: HeaderCursor, type: GGUFValueType, what: string, depth: number): GGUFValue {
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
      const at = c.pos;
      const b = c.u8(what);
      if (b > 1) fail('BAD_FILE', `${c.path}: invalid bool value ${b} for ${what} at offset ${at}`);
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
      if (depth >= GGUF_LIMITS.maxArrayDepth) {
        fail('BAD_FILE', `${c.path}: ${what} nests arrays deeper than ${GGUF_LIMITS.maxArrayDepth} levels; the file is corrupt`);
      }
      const at = c.pos;
      const itemType = c.u32(`array item type of ${what}`);
      if (!(itemType in GGUFValueType)) fail('BAD_FILE', `${c.path}: unknown array item type ${itemType} for ${what} at offset ${at}`);
      // A string takes at least its 8-byte length, a nested array its type and count.
      const minSize = GGUF_SCALAR_SIZE[itemType as GGUFValueType] ?? (itemType === GGUFValueType.STRING ? 8 : 12);
      const n = c.count(`array length of ${what}`, minSize, GGUF_LIMITS.maxArrayItems - c.arrayItems);
      c.arrayItems += n;
      const items = new Array<GGUFValue>(n);
      for (let i = 0; i < n; i++) items[i] = readValue(c, itemType, what, depth + 1);
      return { itemType, items };
    }
    default:
      return fail('BAD_FILE', `${c.path}: unknown metadata value type ${type as number} for ${what} at offset ${c.pos - 4}`);
  }
}

function readMetadata(c: HeaderCursor, kvCount: number): Map<string, GGUFMetadataEntry> {
  const metadata = new Map<string, GGUFMetadataEntry>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key #${i}`);
    if (metadata.has(key)) {
      fail('BAD_FILE', `${c.path}: duplicate metadata key ${quoted(key)} (llama.cpp refuses such files too); re-convert the model`);
    }
    const type = c.u32(`value type of ${quoted(key)}`) as GGUFValueType;
    metadata.set(key, { type, value: readValue(c, type, quoted(key), 0) });
  }
  return metadata;
}

function readTensorInfo(c: HeaderCursor, index: number, alignment: number): GGUFTensorInfo {
  const path = c.path;
  const name = c.string(`tensor name #${index}`);
  if (Buffer.byteLength(name) > GGUF_LIMITS.maxTensorNameBytes) {
    fail('BAD_FILE', `${path}: tensor name #${index} ${quoted(name)} is longer than ggml's ${GGUF_LIMITS.maxTensorNameBytes} bytes`);
  }
  const nDims = c.u32(`dimension count of ${quoted(name)}`);
  if (nDims < 1 || nDims > GGUF_LIMITS.maxDims) fail('BAD_FILE', `${path}: tensor ${quoted(name)} has ${nDims} dimensions (1..${GGUF_LIMITS.maxDims} allowed)`);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < nDims; d++) {
    const n = c.u64(`dimension ${d} of ${quoted(name)}`);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail('BAD_FILE', `${path}: tensor ${quoted(name)} has an absurd dimension ${n}`);
    dims.push(Number(n));
    count *= Number(n);
    if (count > Number.MAX_SAFE_INTEGER) fail('BAD_FILE', `${path}: tensor ${quoted(name)} of shape [${dims.join(', ')}...] has too many elements`);
  }
  const typeId = c.u32(`type of ${quoted(name)}`);
  if (!isKnownType(typeId)) fail('UNSUPPORTED', `${path}: tensor ${quoted(name)} has unknown ggml type id ${typeId}`);
  const type: GGMLType = typeId;
  const offsetBig = c.u64(`offset of ${quoted(name)}`);
  if (offsetBig > BigInt(c.fileSize)) fail('BAD_FILE', `${path}: tensor ${quoted(name)} offset ${offsetBig} is past the end of the ${c.fileSize}-byte file; is the file truncated? download or convert it again`);
  const offset = Number(offsetBig);
  if (offset % alignment !== 0) fail('BAD_FILE', `${path}: tensor ${quoted(name)} offset ${offset} is not aligned to ${alignment} bytes`);
  const { blockSize, typeSize } = typeTraits(type);
  if (dims[0]! % blockSize !== 0) {
    fail('BAD_FILE', `${path}: tensor ${quoted(name)} row of ${dims[0]} elements is not a whole number of ${typeName(type)} blocks (${blockSize})`);
  }
  return { name, dims, type, offset, count, byteSize: (count / blockSize) * typeSize };
}

/** Every tensor's bytes must lie inside the data section without overlapping another's. */
function checkTensorLayout(path: string, tensors: readonly GGUFTensorInfo[], dataSize: number): void {
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset || a.byteSize - b.byteSize);
  let prev: GGUFTensorInfo | undefined;
  for (const t of byOffset) {
    if (prev !== undefined && t.offset < prev.offset + prev.byteSize) {
      fail('BAD_FILE', `${path}: tensor ${quoted(t.name)} at data offset ${t.offset} overlaps tensor ${quoted(prev.name)} (${prev.byteSize} bytes at ${prev.offset})`);
    }
    if (t.offset + t.byteSize > dataSize) {
      fail('BAD_FILE', `${path}: tensor ${quoted(t.name)} data (${t.byteSize} bytes at data offset ${t.offset}) runs past the end of the file; is the file truncated? download or convert it again`);
    }
    prev = t;
  }
}

/**
 * An opened GGUF file (versions 2 and 3): metadata and tensor infos parsed, tensor bytes read on demand.
 * Holds a file descriptor until close(). Typed metadata accessors come from MetadataView.
 */
export class GGUFFile extends MetadataView {
  private fd: number | null;
  private readonly byName: ReadonlyMap<string, GGUFTensorInfo>;

  private constructor(
    readonly path: string,
    fd: number,
    readonly fileSize: number,
    readonly version: number,
    metadata: ReadonlyMap<string, GGUFMetadataEntry>,
    readonly tensors: readonly GGUFTensorInfo[],
    readonly alignment: number,
    /** Absolute file offset of the data section. */
    readonly dataOffset: number,
  ) {
    super(metadata, path);
    this.fd = fd;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  static open(path: string): GGUFFile {
    const fd = openForReading(path);
    try {
      return GGUFFile.parse(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private static parse(path: string, fd: number): GGUFFile {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const hint = stat.isDirectory() ? ' (a Hugging Face model folder becomes one with `realizar convert`)' : '';
      fail('BAD_ARGUMENT', `${path} is not a regular file; pass a .gguf file${hint}`);
    }
    const c = new HeaderCursor(fd, stat.size, path);
    const magic = c.u32('magic');
    if (magic !== GGUF_MAGIC) fail('BAD_FILE', `${path}: not a GGUF file (magic 0x${magic.toString(16).padStart(8, '0')}, expected 'GGUF')`);
    const version = c.u32('version');
    if (version !== 2 && version !== 3) {
      const swapped = Buffer.alloc(4);
      swapped.writeUInt32BE(version);
      const hint = [2, 3].includes(swapped.readUInt32LE()) ? ' (a big-endian GGUF: only little-endian files are supported)' : ' (only versions 2 and 3 are)';
      fail('UNSUPPORTED', `${path}: GGUF version ${version} is not supported${hint}`);
    }
    const tensorCount = c.count('tensor count', MIN_TENSOR_INFO_BYTES, GGUF_LIMITS.maxTensors);
    const kvCount = c.count('metadata count', MIN_KV_BYTES, Number.MAX_SAFE_INTEGER);

    const metadata = readMetadata(c, kvCount);
    const alignment = alignmentOf(metadata, (problem) => fail('BAD_FILE', `${path}: ${problem}`));

    const tensors: GGUFTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const info = readTensorInfo(c, i, alignment);
      if (names.has(info.name)) fail('BAD_FILE', `${path}: duplicate tensor ${quoted(info.name)}`);
      names.add(info.name);
      tensors.push(info);
    }

    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    checkTensorLayout(path, tensors, stat.size - dataOffset);
    return new GGUFFile(path, fd, stat.size, version, metadata, tensors, alignment, dataOffset);
  }

  tensor(name: string): GGUFTensorInfo | undefined {
    return this.byName.get(name);
  }

  /** Reads a tensor's raw bytes into `target` (or a new buffer) with positional reads. */
  readTensor(info: GGUFTensorInfo, target?: Uint8Array): Uint8Array {
    return this.readTensorRange(info, 0, info.byteSize, target);
  }

  /** Reads `length` bytes of a tensor from byte `start` of its data: lets a caller stream a large tensor. */
  readTensorRange(info: GGUFTensorInfo, start: number, length: number, target?: Uint8Array): Uint8Array {
    const fd = this.fd ?? fail('BAD_ARGUMENT', `${this.path}: file is closed`);
    const own = this.byName.get(info.name);
    if (own === undefined || own.offset !== info.offset || own.byteSize !== info.byteSize) {
      fail('BAD_ARGUMENT', `tensor ${quoted(info.name)} does not belong to ${this.path}`);
    }
    if (start < 0 || length < 0 || start + length > info.byteSize) {
      fail('BAD_ARGUMENT', `bytes [${start}, ${start + length}) are outside tensor ${quoted(info.name)} (${info.byteSize} bytes)`);
    }
    const out = target ?? new Uint8Array(length);
    if (out.byteLength < length) fail('BAD_ARGUMENT', `buffer of ${out.byteLength} bytes is too small for ${length} bytes of tensor ${quoted(info.name)}`);
    const bytes = out.subarray(0, length);
    if (readAt(fd, bytes, this.dataOffset + info.offset + start) < length) {
      fail('BAD_FILE', `${this.path}: tensor ${quoted(info.name)} could not be read (did the file shrink?)`);
    }
    return bytes;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
