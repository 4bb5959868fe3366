import { TokenType, type Vocab } from './vocab.js';

/** A piece of input: plain text still to tokenize, or an already recognised special token. */
export type Fragment = { readonly text: string } | { readonly token: number };

/** ASCII whitespace as C's isspace sees it: what llama.cpp trims next to lstrip/rstrip tokens. */
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * Which tokens are cut out of the text before the model sees it: user-defined tokens always, control and
 * unknown tokens only when parsing specials. Longest tokens are tried first over the whole text, then shorter
 * ones in what is left (llama.cpp's tokenizer_st_partition order).
 */
export class SpecialSplitter {
  private readonly always: number[];
  private readonly withSpecial: number[];

  constructor(private readonly vocab: Vocab) {
    const candidates: number[] = [];
    for (let id = 0; id < vocab.size; id++) {
      const t = vocab.type(id);
      if ((t === TokenType.CONTROL || t === TokenType.UNKNOWN || t === TokenType.USER_DEFINED) && vocab.texts[id]!.length > 0) candidates.push(id);
    }
    candidates.sort((a, b) => vocab.texts[b]!.length - vocab.texts[a]!.length || a - b);
    this.withSpecial = candidates;
    this.always = candidates.filter((id) => vocab.type(id) === TokenType.USER_DEFINED);
  }

  /**
   * Cuts the special tokens out of `text`. `normalized` selects the tokens matched after normalization
   * (Hugging Face's "normalized": true) instead of those matched in the raw input.
   */
  split(text: string, parseSpecial: boolean, normalized = false): Fragment[] {
    let fragments: Fragment[] = text.length > 0 ? [{ text }] : [];
    for (const id of parseSpecial ? this.withSpecial : this.always) {
      if (this.vocab.matchedAfterNormalization.has(id) !== normalized) continue;
      const tokenText = this.vocab.texts[id]!;
      const strip = this.vocab.strip.get(id);
      const next: Fragment[] = [];
      for (const f of fragments) {
        if (!('text' in f) || !f.text.includes(tokenText)) {
          next.push(f);
          continue;
        }
        let rest = f.text;
        for (let at = rest.indexOf(tokenText); at >= 0; at = rest.indexOf(tokenText)) {
          let left = rest.slice(0, at);
          if (strip?.lstrip) while (left.length > 0 && isSpace(left[left.length - 1]!)) left = left.slice(0, -1);
          if (left.length > 0) next.push({ text: left });
          next.push({ token: id });
          rest = rest.slice(at + tokenText.length);
          if (strip?.rstrip) {
            let k = 0;
            while (k < rest.length && isSpace(rest[k]!)) k++;
            rest = rest.slice(k);
          }
        }
        if (rest.length > 0) next.push({ text: rest });
      }
      fragments = next;
    }
    return fragments;
  }
}
