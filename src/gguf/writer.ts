import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { RealizarError, fail, systemErrorText } from '../errors.js';
import { quoted } from './quoted.js';
import { GGMLType, byteSizeOf, isKnownType, typeName, typeTraits } from '../tensor/ggml-type.js';
import { alignmentOf } from './alignment.js';
import { GGUF_LIMITS } from './limits.js';
import type { GGUFFile } from './reader.js';
import {
  GGUF_MAGIC,
  GGUFValueType,
  isGGUFArray,
  type GGUFArray,
  type GGUFMetadataEntry,
  type GGUFValue,
} from './types.js';

/** Tensor bytes in ggml layout: given whole, or produced when the writer reaches the tensor (whole or in chunks). */
export type TensorBytes = Uint8Array | (() => Uint8Array | Iterable<Uint8Array>);

export interface GGUFTensorSource {
  readonly name: string;
  readonly type: GGMLType;
  /** Dimensions innermost first (ggml `ne`). */
  readonly dims: readonly number[];
  readonly data: TensorBytes;
}

/** Metadata in file order (a Map keeps insertion order). */
export type GGUFMetadata = ReadonlyMap<string, GGUFMetadataEntry>;

/** Constructors for metadata entries with their declared GGUF type. */
export const GGUFEntry = {
  u8: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.UINT8, value }),
  i8: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.INT8, value }),
  u16: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.UINT16, value }),
  i16: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.INT16, value }),
  u32: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.UINT32, value }),
  i32: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.INT32, value }),
  u64: (value: bigint): GGUFMetadataEntry => ({ type: GGUFValueType.UINT64, value }),
  i64: (value: bigint): GGUFMetadataEntry => ({ type: GGUFValueType.INT64, value }),
  f32: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.FLOAT32, value }),
  f64: (value: number): GGUFMetadataEntry => ({ type: GGUFValueType.FLOAT64, value }),
  bool: (value: boolean): GGUFMetadataEntry => ({ type: GGUFValueType.BOOL, value }),
  str: (value: string): GGUFMetadataEntry => ({ type: GGUFValueType.STRING, value }),
  array: (itemType: GGUFValueType, items: GGUFValue[]): GGUFMetadataEntry => ({ type: GGUFValueType.ARRAY, value: { itemType, items } }),
};

const INT_RANGE: Partial<Record<GGUFValueType, readonly [number, number]>> = {
  [GGUFValueType.UINT8]: [0, 0xff],
  [GGUFValueType.INT8]: [-0x80, 0x7f],
  [GGUFValueType.UINT16]: [0, 0xffff],
  [GGUFValueType.INT16]: [-0x8000, 0x7fff],
  [GGUFValueType.UINT32]: [0, 0xffffffff],
  [GGUFValueType.INT32]: [-0x80000000, 0x7fffffff],
};

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  /** Grows the buffer for n more bytes and returns where they go; it may replace `buf`, so call it first. */
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.buf.writeUInt8(v, at);
  }
  i8(v: number): void {
    const at = this.reserve(1);
    this.buf.writeInt8(v, at);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.buf.writeUInt16LE(v, at);
  }
  i16(v: number): void {
    const at = this.reserve(2);
    this.buf.writeInt16LE(v, at);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeInt32LE(v, at);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeFloatLE(v, at);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.buf.writeDoubleLE(v, at);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(v, at);
  }
  i64(v: bigint): void {
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(v, at);
  }
  string(s: string, what: string): void {
    const n = Buffer.byteLength(s);
    if (n > GGUF_LIMITS.maxStringBytes) fail('BAD_ARGUMENT', `${what}: string of ${n} bytes is over the ${GGUF_LIMITS.maxStringBytes}-byte limit`);
    this.u64(BigInt(n));
    const at = this.reserve(n);
    this.buf.write(s, at, 'utf8');
  }
  zeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, this.length);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function int64Of(v: GGUFValue, type: GGUFValueType, what: string): bigint {
  const big = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : fail('BAD_ARGUMENT', `${what}: ${String(v)} is not an integer for ${GGUFValueType[type]}`);
  const [lo, hi] = type === GGUFValueType.UINT64 ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n];
  if (big < lo || big > hi) fail('BAD_ARGUMENT', `${what}: ${big} is out of range for ${GGUFValueType[type]}`);
  return big;
}

/** Writes one value of declared type `type`, checking that the JS value fits it. */
function encodeValue(out: ByteSink, type: GGUFValueType, v: GGUFValue, what: string, depth: number): void {
  const range = INT_RANGE[type];
  if (range !== undefined) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      fail('BAD_ARGUMENT', `${what}: ${String(v)} does not fit ${GGUFValueType[type]}`);
    }
  }
  switch (type) {
    case GGUFValueType.UINT8:
      return out.u8(v as number);
    case GGUFValueType.INT8:
      return out.i8(v as number);
    case GGUFValueType.UINT16:
      return out.u16(v as number);
    case GGUFValueType.INT16:
      return out.i16(v as number);
    case GGUFValueType.UINT32:
      return out.u32(v as number);
    case GGUFValueType.INT32:
      return out.i32(v as number);
    case GGUFValueType.FLOAT32:
    case GGUFValueType.FLOAT64:
      if (typeof v !== 'number') fail('BAD_ARGUMENT', `${what}: ${String(v)} is not a number for ${GGUFValueType[type]}`);
      return type === GGUFValueType.FLOAT32 ? out.f32(v) : out.f64(v);
    case GGUFValueType.BOOL:
      if (typeof v !== 'boolean') fail('BAD_ARGUMENT', `${what}: ${String(v)} is not a bool`);
      return out.u8(v ? 1 : 0);
    case GGUFValueType.STRING:
      if (typeof v !== 'string') fail('BAD_ARGUMENT', `${what}: ${String(v)} is not a string`);
      return out.string(v, what);
    case GGUFValueType.UINT64:
      return out.u64(int64Of(v, type, what));
    case GGUFValueType.INT64:
      return out.i64(int64Of(v, type, what));
    case GGUFValueType.ARRAY:
      return encodeArray(out, v, what, depth);
    default:
      return fail('BAD_ARGUMENT', `${what}: unknown GGUF value type ${type as number}`);
  }
}

function encodeArray(out: ByteSink, v: GGUFValue, what: string, depth: number): void {
  if (!isGGUFArray(v)) return fail('BAD_ARGUMENT', `${what}: declared ARRAY but the value is ${typeof v}`);
  if (depth >= GGUF_LIMITS.maxArrayDepth) fail('BAD_ARGUMENT', `${what}: arrays nested deeper than ${GGUF_LIMITS.maxArrayDepth} levels`);
  const a: GGUFArray = v;
  out.u32(a.itemType);
  out.u64(BigInt(a.items.length));
  for (const item of a.items) encodeValue(out, a.itemType, item, what, depth + 1);
}

const padTo = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

/** Where everything goes in a GGUF file: the encoded header and each tensor's place in the data section. */
export interface GGUFLayout {
  readonly header: Uint8Array;
  readonly alignment: number;
  /** Absolute offset of the data section (the header padded to the alignment; no padding when there are no tensors). */
  readonly dataOffset: number;
  /** Per tensor, its offset from the start of the data section and its byte size. */
  readonly tensors: readonly { readonly offset: number; readonly byteSize: number }[];
  /** Size of the whole file: every tensor is followed by padding to the alignment, as llama.cpp and gguf-py write it. */
  readonly fileSize: number;
}

/** Encodes the header for `metadata` and tensor shapes, checking names, types and shapes as the reader would. */
export function layoutGGUF(metadata: GGUFMetadata, tensors: readonly Omit<GGUFTensorSource, 'data'>[], version: 2 | 3 = 3): GGUFLayout {
  const alignment = alignmentOf(metadata, (problem) => fail('BAD_ARGUMENT', problem));
  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(version);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.size));
  for (const [key, entry] of metadata) {
    out.string(key, `metadata key ${quoted(key)}`);
    out.u32(entry.type);
    encodeValue(out, entry.type, entry.value, `metadata ${quoted(key)}`, 0);
  }
  const placed: { offset: number; byteSize: number }[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (Buffer.byteLength(t.name) > GGUF_LIMITS.maxTensorNameBytes) fail('BAD_ARGUMENT', `tensor name ${quoted(t.name)} is longer than ggml's ${GGUF_LIMITS.maxTensorNameBytes} bytes`);
    if (names.has(t.name)) fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} is listed twice`);
    names.add(t.name);
    if (t.dims.length < 1 || t.dims.length > GGUF_LIMITS.maxDims || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} has invalid dimensions [${t.dims.join(', ')}]`);
    }
    if (!isKnownType(t.type)) fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} has unknown ggml type id ${t.type as number}`);
    const { blockSize } = typeTraits(t.type);
    if (t.dims[0]! % blockSize !== 0) {
      fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} rows of ${t.dims[0]} elements are not a whole number of ${typeName(t.type)} blocks (${blockSize})`);
    }
    const byteSize = byteSizeOf(t.type, t.dims.reduce((a, b) => a * b, 1));
    out.string(t.name, `tensor name ${quoted(t.name)}`);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(BigInt(d));
    out.u32(t.type);
    out.u64(BigInt(offset));
    placed.push({ offset, byteSize });
    offset += padTo(byteSize, alignment);
  }
  const dataOffset = padTo(out.length, alignment);
  // A file without tensors ends with its header, unpadded, as llama.cpp writes vocab-only files.
  if (tensors.length === 0) return { header: out.bytes(), alignment, dataOffset, tensors: placed, fileSize: out.length };
  out.zeros(dataOffset - out.length);
  return { header: out.bytes(), alignment, dataOffset, tensors: placed, fileSize: dataOffset + offset };
}

export interface GGUFWriteOptions {
  version?: 2 | 3;
  /** Called after each chunk of tensor data with the bytes written so far and the file size. */
  onProgress?: (written: number, total: number) => void;
}

function chunksOf(data: TensorBytes): Iterable<Uint8Array> {
  if (data instanceof Uint8Array) return [data];
  const produced = data();
  return produced instanceof Uint8Array ? [produced] : produced;
}

/** Wraps an fs failure (disk full, permission) in a one-line error naming the file. */
function fsCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RealizarError) throw e;
    return fail('BAD_ARGUMENT', `cannot ${what}: ${systemErrorText(e)}`);
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += fsCall(`write ${path}`, () => writeSync(fd, bytes, done, bytes.byteLength - done, position + done));
  }
}

/**
 * Writes a GGUF file: metadata with the declared value types, then each tensor's bytes at an offset aligned to
 * general.alignment, streamed from its source so that multi-GB files never sit in memory. The file is written
 * as `<path>.tmp-<pid>` and renamed into place at the end: an interrupted write never leaves a partial file
 * under `path`.
 */
export function writeGGUF(path: string, metadata: GGUFMetadata, tensors: readonly GGUFTensorSource[], options: GGUFWriteOptions = {}): void {
  const layout = layoutGGUF(metadata, tensors, options.version ?? 3);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = fsCall(`create ${tmp}`, () => openSync(tmp, 'w'));
  try {
    writeAll(fd, layout.header, 0, tmp);
    let pos = layout.dataOffset;
    tensors.forEach((t, i) => {
      const { offset, byteSize } = layout.tensors[i]!;
      const start = layout.dataOffset + offset;
      for (const chunk of chunksOf(t.data)) {
        if (pos + chunk.byteLength > start + byteSize) {
          fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} produced more than its ${byteSize} bytes (${typeName(t.type)} [${t.dims.join(', ')}])`);
        }
        writeAll(fd, chunk, pos, tmp);
        pos += chunk.byteLength;
        options.onProgress?.(pos, layout.fileSize);
      }
      if (pos !== start + byteSize) {
        fail('BAD_ARGUMENT', `tensor ${quoted(t.name)} produced ${pos - start} bytes, expected ${byteSize} (${typeName(t.type)} [${t.dims.join(', ')}])`);
      }
      const end = padTo(pos - layout.dataOffset, layout.alignment) + layout.dataOffset;
      writeAll(fd, new Uint8Array(end - pos), pos, tmp);
      pos = end;
    });
    fsCall(`close ${tmp}`, () => closeSync(fd));
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // Already closed: the error came from close itself.
    }
    unlinkSync(tmp);
    throw e;
  }
  fsCall(`rename ${tmp} to ${path}`, () => renameSync(tmp, path));
}

/** An open file's tensors as writer sources that read their bytes lazily, in chunks of at most 16 MiB. */
export function tensorSourcesOf(file: GGUFFile, chunkBytes = 16 << 20): GGUFTensorSource[] {
  return file.tensors.map((info) => ({
    name: info.name,
    type: info.type,
    dims: info.dims,
    data: function* (): Iterable<Uint8Array> {
      for (let start = 0; start < info.byteSize; start += chunkBytes) {
        yield file.readTensorRange(info, start, Math.min(chunkBytes, info.byteSize - start));
      }
    },
  }));
}
