/**
 * A hand encoder for GGUF bytes, written straight from the format description (magic, version, u64 counts,
 * key/value pairs, tensor infos, aligned data) and independent of src/gguf/writer.ts: tests use it as the
 * oracle for the reader and to build malformed files the writer would refuse to produce.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Bytes {
  private readonly parts: Buffer[] = [];
  length = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  u8(v: number): this {
    return this.push(Buffer.from([v]));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return this.push(b);
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.push(b);
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return this.push(b);
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    return this.push(b);
  }
  f32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    return this.push(b);
  }
  f64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.push(b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u64(b.length).push(b);
  }
  raw(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** GGUF value type ids from the spec, spelled out here rather than imported. */
export const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STR: 8, ARR: 9, U64: 10, I64: 11, F64: 12 } as const;

export interface RawKV {
  readonly key: string;
  /** Writes the value type id and the value. */
  readonly value: (b: Bytes) => void;
}

export interface RawTensor {
  readonly name: string;
  readonly dims: readonly (number | bigint)[];
  /** ggml type id (0 = F32). */
  readonly type: number;
  readonly offset: number | bigint;
  /** Overrides the dimension count written (for malformed files). */
  readonly nDims?: number;
}

export interface RawGGUF {
  readonly magic?: number;
  readonly version?: number;
  readonly tensorCount?: number | bigint;
  readonly kvCount?: number | bigint;
  readonly kvs?: readonly RawKV[];
  readonly tensors?: readonly RawTensor[];
  /** The data section, placed after the header padded to `alignment`. */
  readonly data?: Uint8Array;
  readonly alignment?: number;
}

export const kvU32 = (key: string, v: number): RawKV => ({ key, value: (b) => b.u32(T.U32).u32(v) });
export const kvStr = (key: string, v: string): RawKV => ({ key, value: (b) => b.u32(T.STR).str(v) });
export const kvF32 = (key: string, v: number): RawKV => ({ key, value: (b) => b.u32(T.F32).f32(v) });

export function rawGGUF(g: RawGGUF): Buffer {
  const kvs = g.kvs ?? [];
  const tensors = g.tensors ?? [];
  const b = new Bytes()
    .u32(g.magic ?? 0x46554747)
    .u32(g.version ?? 3)
    .u64(g.tensorCount ?? tensors.length)
    .u64(g.kvCount ?? kvs.length);
  for (const kv of kvs) {
    b.str(kv.key);
    kv.value(b);
  }
  for (const t of tensors) {
    b.str(t.name).u32(t.nDims ?? t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  const alignment = g.alignment ?? 32;
  const pad = (alignment - (b.length % alignment)) % alignment;
  b.raw(new Uint8Array(pad));
  if (g.data) b.raw(g.data);
  return b.build();
}

/** A fresh temporary folder for one test file's outputs. */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `realizar-${tag}-`));
}

export function writeTemp(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** mulberry32: a small seeded PRNG so that fuzz runs are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
