import { mergeSymbols, type PairPriority } from './merge.js';
import { byteToken } from './spm.js';
import { codePoints, utf8Bytes } from './utf8.js';
import type { Vocab } from './vocab.js';

/** What to emit for a final symbol that is not in the vocabulary. */
export type BpeUnknown =
  /** llama.cpp's gpt2 path: the token of each of its single-byte characters, skipping those without one. */
  | 'chars'
  /** Hugging Face byte_fallback: `<0xNN>` tokens for its UTF-8 bytes. */
  | 'bytes'
  /** The unknown token (runs fused into one when `fuseUnk`). */
  | 'unk';

export interface BpeOptions {
  /** A word that is itself a token is taken whole, merges or not (Llama 3, Tekken). */
  readonly ignoreMerges: boolean;
  readonly unknown: BpeUnknown;
  readonly unkId?: number;
  readonly fuseUnk?: boolean;
}

const CACHE_LIMIT = 100_000;

/** Merge table key of a pair; NUL cannot occur in either side. */
export function mergeKey(left: string, right: string): string {
  return `${left}\u0000${right}`;
}

/**
 * The key of a 'left right' merge line, split at its first space after the first character (a left piece may
 * be a space itself); undefined for a line without one.
 */
export function mergeLineKey(line: string): string | undefined {
  const space = line.indexOf(' ', 1);
  return space < 0 ? undefined : mergeKey(line.slice(0, space), line.slice(space + 1));
}

/**
 * Priorities from merge keys in rank order: mergeKey(left, right) → its index. The first of duplicates keeps its
 * rank; an undefined key (a merge that can never apply) holds its place.
 */
export function mergeRanks(keys: readonly (string | undefined)[]): PairPriority {
  const ranks = new Map<string, number>();
  keys.forEach((key, rank) => {
    if (key !== undefined && !ranks.has(key)) ranks.set(key, rank);
  });
  return (l, r) => ranks.get(mergeKey(l, r));
}

/**
 * Byte-level or character-level BPE by merge rank over one word, with results cached per word
 * (natural text repeats its words, so the cache carries most of the work).
 */
export class BpeModel {
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly vocab: Vocab,
    /** Rank of merging two symbols (lower first): from a merge list, or the merged token's rank (tiktoken). */
    private readonly priority: PairPriority,
    private readonly options: BpeOptions,
  ) {}

  encodeWord(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.tokenize(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  private tokenize(word: string): number[] {
    const whole = this.vocab.id(word);
    if (this.options.ignoreMerges && whole !== undefined) return [whole];
    const pieces = mergeSymbols(codePoints(word), this.priority);
    const out: number[] = [];
    let lastWasUnk = false;
    for (const piece of pieces) {
      const id = this.vocab.id(piece);
      if (id !== undefined) {
        out.push(id);
        lastWasUnk = false;
        continue;
      }
      switch (this.options.unknown) {
        case 'chars':
          for (const c of piece) {
            const cid = c.length === 1 && c.charCodeAt(0) < 0x80 ? this.vocab.id(c) : undefined;
            if (cid !== undefined) out.push(cid);
          }
          break;
        case 'bytes':
          for (const b of utf8Bytes(piece)) out.push(byteToken(this.vocab, b, this.options.unkId));
          break;
        case 'unk':
          if (this.options.unkId === undefined) break;
          if (!(this.options.fuseUnk && lastWasUnk)) out.push(this.options.unkId);
          lastWasUnk = true;
          break;
      }
    }
    return out;
  }
}
