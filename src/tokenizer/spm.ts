import { fail } from '../errors.js';
import { mergeSymbols } from './merge.js';
import { codePoints, utf8Bytes } from './utf8.js';
import { TokenType, type Vocab } from './vocab.js';

/** SentencePiece's visible space, U+2581. */
export const SPACE_MARK = '\u2581';

/** `<0xNN>`, SentencePiece's name for a byte-fallback token. */
function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * The token for a raw byte: its `<0xNN>` token, else a token whose text is that single byte (llama.cpp's
 * byte_to_token), else unk.
 */
export function byteToken(vocab: Vocab, byte: number, unk: number | undefined): number {
  const id = vocab.id(byteTokenText(byte)) ?? (byte < 0x80 ? vocab.id(String.fromCharCode(byte)) : undefined) ?? unk;
  if (id === undefined) fail('BAD_FILE', `${vocab.source}: no token for byte 0x${byte.toString(16)} and no unknown token`);
  return id;
}

/**
 * SentencePiece-BPE as llama.cpp runs it: spaces become U+2581, code points merge pairwise by the score of the
 * piece they form (highest first), and whatever is not a piece in the end is spelled with byte tokens.
 */
export class SentencePieceBpe {
  /** Code points that occur inside some multi-character piece; any other one can never merge. */
  private readonly mergeable = new Set<string>();
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly vocab: Vocab,
    private readonly unk: number | undefined,
  ) {
    for (const t of vocab.texts) {
      const cps = codePoints(t);
      if (cps.length > 1) for (const c of cps) this.mergeable.add(c);
    }
  }

  encode(text: string, out: number[]): void {
    // A character no multi-character piece contains stays a symbol of its own, so no merge crosses it: the
    // stretches between such characters tokenize independently (and repeat, so they are cached).
    let segment = '';
    for (const c of text.replaceAll(' ', SPACE_MARK)) {
      if (this.mergeable.has(c)) {
        segment += c;
        continue;
      }
      if (segment) this.encodeSegment(segment, out);
      segment = '';
      this.encodeSegment(c, out);
    }
    if (segment) this.encodeSegment(segment, out);
  }

  private encodeSegment(segment: string, out: number[]): void {
    let ids = this.cache.get(segment);
    if (ids === undefined) {
      ids = this.merge(segment);
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(segment, ids);
    }
    for (const id of ids) out.push(id);
  }

  private merge(segment: string): number[] {
    const { vocab } = this;
    const pieces = mergeSymbols(codePoints(segment), (l, r) => {
      const id = vocab.id(l + r);
      return id === undefined ? undefined : -vocab.score(id);
    });
    const out: number[] = [];
    for (const piece of pieces) {
      const id = vocab.id(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of utf8Bytes(piece)) out.push(byteToken(vocab, b, this.unk));
    }
    return out;
  }
}

/** Decoded bytes for SentencePiece-style vocabularies: U+2581 is a space, `<0xNN>` a byte. */
export function spacedPieces(vocab: Vocab): Uint8Array[] {
  return vocab.texts.map((text, id) => {
    switch (vocab.type(id)) {
      case TokenType.NORMAL:
        return utf8Bytes(text.replaceAll(SPACE_MARK, ' '));
      case TokenType.BYTE: {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
        return m ? Uint8Array.of(parseInt(m[1]!, 16)) : utf8Bytes(text);
      }
      case TokenType.CONTROL:
      case TokenType.UNKNOWN:
      case TokenType.USER_DEFINED:
        return utf8Bytes(text);
      default:
        return new Uint8Array(0);
    }
  });
}
