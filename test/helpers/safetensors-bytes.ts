/**
 * safetensors files written by hand from the format (u64 little-endian header length, JSON header, data
 * section), independent of src/safetensors: tests build readable and malformed files with them.
 */

/** A file of `header` (an object, or raw text) and `data`; `headerLength` overrides the stored length. */
export function safetensorsBytes(header: unknown, data: Uint8Array, headerLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

export interface TensorBytes {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** A well-formed file: the tensors' bytes one after another, in the order given, after an optional __metadata__. */
export function safetensorsOf(tensors: readonly TensorBytes[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata === undefined ? {} : { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  return safetensorsBytes(header, Buffer.concat(tensors.map((t) => t.bytes)));
}
