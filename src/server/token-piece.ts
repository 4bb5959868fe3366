import type { Tokenizer } from '../tokenizer/tokenizer.js';

/**
 * What a single token stands for, as a client should see it: its bytes, and their text when they are
 * whole UTF-8 (SentencePiece's "▁a" is " a"); a token holding part of a character has no text of its own.
 */
export interface TokenPiece {
  readonly bytes: number[];
  readonly text: string | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function tokenPiece(tokenizer: Tokenizer, id: number): TokenPiece {
  const raw = tokenizer.tokenBytes(id);
  let text: string | undefined;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    text = undefined;
  }
  return { bytes: [...raw], text };
}
