import { closeSync, fstatSync } from 'node:fs';
import { fail } from '../errors.js';
import { openForReading } from '../io/open-for-reading.js';
import { readAt } from '../io/read-at.js';
import { dtypeSize, isSafeTensorsDType, typedValues, type SafeTensorsDType, type SafeTensorsValues } from './dtype.js';

/** The reference implementation refuses headers above 100 MB; so do we, before allocating anything. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafeTensorInfo {
  readonly name: string;
  readonly dtype: SafeTensorsDType;
  /** Dimensions outermost first, as PyTorch: a [rows, cols] matrix. */
  readonly shape: readonly number[];
  /** Start of the tensor's bytes relative to the data section (after the header). */
  readonly begin: number;
  readonly byteSize: number;
  readonly count: number;
}

/** Fills `out` from `position`; a file that ends first is refused, naming `what` was being read. */
function readFully(fd: number, path: string, out: Uint8Array, position: number, what: string): void {
  const got = readAt(fd, out, position);
  if (got < out.byteLength) fail('BAD_FILE', `${path}: ${what} could not be read at offset ${position + got} (file truncated or shrank?)`);
}

function parseHeaderJSON(path: string, text: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail('BAD_FILE', `${path}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('BAD_FILE', `${path}: header must be a JSON object`);
  return header as Record<string, unknown>;
}

function parseMetadata(path: string, raw: unknown): Map<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('BAD_FILE', `${path}: __metadata__ must be an object of strings`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail('BAD_FILE', `${path}: __metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
    out.set(k, v);
  }
  return out;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseTensor(path: string, name: string, raw: unknown, dataSize: number): SafeTensorInfo {
  const where = `${path}: tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('BAD_FILE', `${where} must be an object with dtype, shape, data_offsets`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') fail('BAD_FILE', `${where}: dtype is missing`);
  if (!isSafeTensorsDType(dtype)) fail('UNSUPPORTED', `${where}: unknown dtype '${dtype}'`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) fail('BAD_FILE', `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    fail('BAD_FILE', `${where}: data_offsets must be [begin, end], got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail('BAD_FILE', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) fail('BAD_FILE', `${where}: data_offsets end ${end} is past the ${dataSize} bytes of data; is the file truncated?`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteSize = count * dtypeSize(dtype);
  if (!Number.isSafeInteger(byteSize) || byteSize !== end - begin) {
    fail('BAD_FILE', `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${byteSize} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], begin, byteSize, count };
}

/**
 * An opened .safetensors file: the JSON header parsed and every tensor's extent validated at open;
 * tensor bytes are read on demand with positional reads, so opening a multi-GB shard costs its header only.
 */
export class SafeTensorsFile {
  private fd: number | null;
  private readonly byName: ReadonlyMap<string, SafeTensorInfo>;

  private constructor(
    readonly path: string,
    fd: number,
    /** Absolute file offset of the data section (8 + header length). */
    readonly dataOffset: number,
    readonly metadata: ReadonlyMap<string, string>,
    /** Tensors in the order of their bytes in the file. */
    readonly tensors: readonly SafeTensorInfo[],
  ) {
    this.fd = fd;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  static open(path: string): SafeTensorsFile {
    const fd = openForReading(path);
    try {
      return SafeTensorsFile.parse(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private static parse(path: string, fd: number): SafeTensorsFile {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) fail('BAD_FILE', `${path}: ${fileSize} bytes is too short for a safetensors header length`);
    const lenBytes = new Uint8Array(8);
    readFully(fd, path, lenBytes, 0, 'header length');
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(fileSize - 8)) {
      fail('BAD_FILE', `${path}: header length ${headerLen} is larger than the ${fileSize - 8} bytes after it; not a safetensors file, or truncated`);
    }
    if (headerLen > BigInt(MAX_HEADER_BYTES)) fail('BAD_FILE', `${path}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    const headerBytes = new Uint8Array(Number(headerLen));
    readFully(fd, path, headerBytes, 8, 'header');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('BAD_FILE', `${path}: header is not valid UTF-8`);
    }
    const header = parseHeaderJSON(path, text);

    const dataOffset = 8 + Number(headerLen);
    const dataSize = fileSize - dataOffset;
    let metadata = new Map<string, string>();
    const tensors: SafeTensorInfo[] = [];
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') metadata = parseMetadata(path, raw);
      else tensors.push(parseTensor(path, name, raw, dataSize));
    }
    tensors.sort((a, b) => a.begin - b.begin || a.byteSize - b.byteSize);
    for (let i = 1; i < tensors.length; i++) {
      const prev = tensors[i - 1]!;
      const t = tensors[i]!;
      if (t.begin < prev.begin + prev.byteSize) {
        fail('BAD_FILE', `${path}: tensor '${t.name}' data_offsets [${t.begin}, ${t.begin + t.byteSize}] overlap tensor '${prev.name}' [${prev.begin}, ${prev.begin + prev.byteSize}]`);
      }
    }
    return new SafeTensorsFile(path, fd, dataOffset, metadata, tensors);
  }

  tensor(name: string): SafeTensorInfo | undefined {
    return this.byName.get(name);
  }

  private info(tensor: string | SafeTensorInfo): SafeTensorInfo {
    if (typeof tensor !== 'string') return tensor;
    return this.byName.get(tensor) ?? fail('MISSING', `${this.path}: no tensor '${tensor}'`);
  }

  /** The tensor's raw little-endian bytes, read now into `target` (or a new buffer). */
  read(tensor: string | SafeTensorInfo, target?: Uint8Array): Uint8Array {
    const info = this.info(tensor);
    if (this.fd === null) fail('BAD_ARGUMENT', `${this.path}: file is closed`);
    if (target !== undefined && target.byteLength < info.byteSize) {
      fail('BAD_ARGUMENT', `buffer of ${target.byteLength} bytes is too small for tensor '${info.name}' (${info.byteSize})`);
    }
    const out = (target ?? new Uint8Array(info.byteSize)).subarray(0, info.byteSize);
    readFully(this.fd, this.path, out, this.dataOffset + info.begin, `tensor '${info.name}'`);
    return out;
  }

  /** The tensor's elements as a typed array over freshly read bytes (no second copy). */
  values(tensor: string | SafeTensorInfo): SafeTensorsValues {
    const info = this.info(tensor);
    return typedValues(info.dtype, this.read(info));
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
