import type { GenerationChunk } from '../generate/types.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { tokenPiece } from './token-piece.js';

/**
 * Log-probabilities in OpenAI's two layouts. A token is shown as the text it stands for (" a", not
 * SentencePiece's "▁a"), with its UTF-8 bytes; a token that is only part of a character is shown as
 * OpenAI does, "bytes:\xe2\x96".
 */

function tokenView(tokenizer: Tokenizer, id: number): { token: string; bytes: number[] } {
  const { bytes, text } = tokenPiece(tokenizer, id);
  return { token: text ?? `bytes:${bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}`, bytes };
}

/** The steps that are generated tokens: the end-of-generation step only releases held-back text. */
function tokens(chunks: readonly GenerationChunk[]): GenerationChunk[] {
  return chunks.filter((c) => c.logprob !== undefined);
}

/** Chat's layout: `logprobs.content[]`, one object per token. */
export function chatLogprobs(tokenizer: Tokenizer, chunks: readonly GenerationChunk[]) {
  return {
    content: tokens(chunks).map((chunk) => ({
      ...tokenView(tokenizer, chunk.tokenId),
      logprob: chunk.logprob?.logprob ?? 0,
      top_logprobs: (chunk.topLogprobs ?? []).map((alt) => ({ ...tokenView(tokenizer, alt.tokenId), logprob: alt.logprob })),
    })),
    refusal: null,
  };
}

/**
 * The legacy completions layout: parallel arrays, one entry per token. `text_offset` counts characters
 * from the start of the prompt, as OpenAI's does, so `startOffset` is where this text begins in it.
 */
export function completionLogprobs(tokenizer: Tokenizer, steps: readonly GenerationChunk[], startOffset: number) {
  const chunks = tokens(steps);
  let offset = startOffset;
  const textOffset: number[] = [];
  for (const chunk of chunks) {
    textOffset.push(offset);
    offset += characters(chunk.text);
  }
  return {
    tokens: chunks.map((c) => tokenView(tokenizer, c.tokenId).token),
    token_logprobs: chunks.map((c) => c.logprob?.logprob ?? 0),
    top_logprobs: chunks.map((c) => Object.fromEntries((c.topLogprobs ?? []).map((alt) => [tokenView(tokenizer, alt.tokenId).token, alt.logprob]))),
    text_offset: textOffset,
  };
}

/** Length in characters (code points), as Python and so OpenAI count offsets, not UTF-16 units. */
export function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
