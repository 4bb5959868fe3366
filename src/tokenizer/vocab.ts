import { fail } from '../errors.js';

/** Token kinds, numbered as GGUF's `tokenizer.ggml.token_type` stores them. */
export enum TokenType {
  UNDEFINED = 0,
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

/** How text next to a special token is trimmed when the token is matched (Hugging Face lstrip/rstrip). */
export interface SpecialStrip {
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

/** The token list with each token's kind and score, and the reverse lookup from text to id. */
export class Vocab {
  private readonly ids = new Map<string, number>();
  readonly strip = new Map<number, SpecialStrip>();
  /** Added tokens Hugging Face matches in normalized text rather than in the input ("normalized": true). */
  readonly matchedAfterNormalization = new Set<number>();

  constructor(
    readonly texts: readonly string[],
    readonly types: readonly TokenType[],
    readonly scores: Float32Array | undefined,
    readonly source: string,
  ) {
    if (types.length !== texts.length) fail('BAD_FILE', `${source}: ${texts.length} tokens but ${types.length} token types`);
    if (scores !== undefined && scores.length !== texts.length) fail('BAD_FILE', `${source}: ${texts.length} tokens but ${scores.length} scores`);
    // A later duplicate wins, as in llama.cpp's token_to_id map.
    texts.forEach((t, i) => this.ids.set(t, i));
  }

  get size(): number {
    return this.texts.length;
  }

  id(text: string): number | undefined {
    return this.ids.get(text);
  }

  type(id: number): TokenType {
    return this.types[id] ?? TokenType.UNDEFINED;
  }

  score(id: number): number {
    return this.scores?.[id] ?? 0;
  }

  /** Control and unknown tokens: hidden when decoding without specials, matched in text only on request. */
  isSpecial(id: number): boolean {
    const t = this.type(id);
    return t === TokenType.CONTROL || t === TokenType.UNKNOWN;
  }

  /** A valid id, or a BAD_ARGUMENT error naming it. */
  check(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.texts.length) {
      fail('BAD_ARGUMENT', `token id ${id} is outside the vocabulary of ${this.source} (0..${this.texts.length - 1})`);
    }
    return id;
  }
}
