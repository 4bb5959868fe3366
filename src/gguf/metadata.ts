import { fail } from '../errors.js';
import { quoted } from './quoted.js';
import { GGUFValueType, isGGUFArray, type GGUFArray, type GGUFMetadataEntry, type GGUFValue } from './types.js';

function typeLabel(entry: GGUFMetadataEntry): string {
  if (isGGUFArray(entry.value)) return `an array of ${GGUFValueType[entry.value.itemType] ?? entry.value.itemType}`;
  return `a ${GGUFValueType[entry.type] ?? entry.type}`;
}

/** A numeric item as a JS number: 64-bit integers are accepted when they are exactly representable. */
function asNumber(v: GGUFValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

/**
 * Typed, checked access to GGUF metadata. Every getter returns undefined for an absent key and fails
 * with BAD_FILE naming the key when the value has another type, so callers write
 * `f.getNumber('llama.rope.freq_base') ?? 10000` and never see a wrongly typed value.
 */
export class MetadataView {
  constructor(
    readonly metadata: ReadonlyMap<string, GGUFMetadataEntry>,
    /** Where the metadata came from (a path), for error messages. */
    readonly source: string,
  ) {}

  /** The raw metadata value of `key`, or undefined. */
  get(key: string): GGUFValue | undefined {
    return this.metadata.get(key)?.value;
  }

  has(key: string): boolean {
    return this.metadata.has(key);
  }

  private wrongType(key: string, expected: string): never {
    const entry = this.metadata.get(key)!;
    return fail('BAD_FILE', `${this.source}: metadata key ${quoted(key)} is ${typeLabel(entry)}, expected ${expected}`);
  }

  private missing(key: string): never {
    return fail('MISSING', `${this.source}: required metadata key ${quoted(key)} is missing`);
  }

  getString(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined || typeof v === 'string') return v;
    return this.wrongType(key, 'a string');
  }

  /** Any integer or float type; a 64-bit integer must fit a double exactly. */
  getNumber(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    return asNumber(v) ?? this.wrongType(key, 'a number');
  }

  /** A non-negative integer of any integer width (a count or a token id). */
  getCount(key: string): number | undefined {
    const n = this.getNumber(key);
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) fail('BAD_FILE', `${this.source}: metadata key ${quoted(key)} is ${n}, expected a non-negative integer`);
    return n;
  }

  getBool(key: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined || typeof v === 'boolean') return v;
    return this.wrongType(key, 'a bool');
  }

  getArray(key: string): GGUFArray | undefined {
    const v = this.get(key);
    if (v === undefined || isGGUFArray(v)) return v;
    return this.wrongType(key, 'an array');
  }

  getStringArray(key: string): string[] | undefined {
    const a = this.getArray(key);
    if (a === undefined) return undefined;
    if (a.itemType !== GGUFValueType.STRING) this.wrongType(key, 'an array of STRING');
    return a.items as string[];
  }

  getNumberArray(key: string): number[] | undefined {
    const a = this.getArray(key);
    if (a === undefined) return undefined;
    return a.items.map((item) => asNumber(item) ?? this.wrongType(key, 'an array of numbers'));
  }

  requireString(key: string): string {
    return this.getString(key) ?? this.missing(key);
  }

  requireNumber(key: string): number {
    return this.getNumber(key) ?? this.missing(key);
  }

  requireCount(key: string): number {
    return this.getCount(key) ?? this.missing(key);
  }
}
