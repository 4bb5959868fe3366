import { fail } from '../errors.js';

/** Typed access to a parsed JSON file, failing with the file and the JSON path of whatever is wrong. */
export class JsonFields {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: unknown,
  ) {}

  private at(key: string | number): JsonFields {
    const v = this.object()[key as string];
    return new JsonFields(this.file, typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`, v);
  }

  private bad(what: string): never {
    return fail('BAD_FILE', `${this.file}: ${this.path} must be ${what}, got ${describe(this.value)}`);
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.bad('an object');
    return this.value as Record<string, unknown>;
  }

  has(key: string): boolean {
    const v = this.object()[key];
    return v !== undefined && v !== null;
  }

  /** The field, which must be present and not null. */
  get(key: string): JsonFields {
    const f = this.at(key);
    if (f.value === undefined || f.value === null) fail('BAD_FILE', `${this.file}: ${f.path} is missing`);
    return f;
  }

  /** The field, or undefined when absent or null. */
  opt(key: string): JsonFields | undefined {
    return this.has(key) ? this.at(key) : undefined;
  }

  string(): string {
    return typeof this.value === 'string' ? this.value : this.bad('a string');
  }

  number(): number {
    return typeof this.value === 'number' ? this.value : this.bad('a number');
  }

  boolean(): boolean {
    return typeof this.value === 'boolean' ? this.value : this.bad('true or false');
  }

  items(): JsonFields[] {
    if (!Array.isArray(this.value)) this.bad('an array');
    return (this.value as unknown[]).map((v, i) => new JsonFields(this.file, `${this.path}[${i}]`, v));
  }

  /** An object of numbers (a vocabulary) as a map, checked without wrapping each entry. */
  numberMap(): Map<string, number> {
    const map = new Map<string, number>();
    const obj = this.object();
    for (const k in obj) {
      const v = obj[k];
      if (typeof v !== 'number') new JsonFields(this.file, `${this.path}.${k}`, v).number();
      map.set(k, v as number);
    }
    return map;
  }

  /** The raw items of an array. */
  rawItems(): readonly unknown[] {
    if (!Array.isArray(this.value)) this.bad('an array');
    return this.value as unknown[];
  }

  entries(): [string, JsonFields][] {
    return Object.keys(this.object()).map((k) => [k, this.at(k)]);
  }

  /** The `type` tag of a component object (normalizer, model, ...). */
  type(): string {
    return this.get('type').string();
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
