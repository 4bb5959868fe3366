import { fail } from '../errors.js';
import { mergeSymbols } from './merge.js';
import { codePoints, utf8Bytes } from './utf8.js';
import type { Vocab } from './vocab.js';

/** SentencePiece's visible space, U+2581. */
export const SPACE_MARK = '\u2581';

/** `<0xNN>`, SentencePiece's name for a byte-fallback token. */
export function byteTokenText(byte: number): string {
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
export function encodeSentencePiece(vocab: Vocab, text: string, unk: number | undefined, out: number[]): void {
  const escaped = text.replaceAll(' ', SPACE_MARK);
  const pieces = mergeSymbols(codePoints(escaped), (l, r) => {
    const id = vocab.id(l + r);
    return id === undefined ? undefined : -vocab.score(id);
  });
  for (const piece of pieces) {
    const id = vocab.id(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const b of utf8Bytes(piece)) out.push(byteToken(vocab, b, unk));
  }
}
