/** Longer words are the unknown token as a whole (Hugging Face's max_input_chars_per_word default). */
export const MAX_WORD_CHARS = 100;

/** Options of BERT's text clean-up (Hugging Face BertNormalizer). */
export interface BertNormalization {
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  /** Drop control characters and map whitespace to spaces (default true). */
  readonly cleanText?: boolean;
  /** Put spaces around CJK ideographs so each is a word (default true). */
  readonly chineseChars?: boolean;
}

/** CJK ideograph blocks as BERT defines them (the 0x2B920 bound is Hugging Face's, kept for parity). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const WHITE = /[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\v\f]/u;
const CONTROL = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}]/u;
/** BERT's punctuation: Unicode P plus every ASCII non-alphanumeric printable character. */
const PUNCT = /[\p{P}!-/:-@[-`{-~]/u;

/** BERT's normalizer: clean-up, spaced CJK, accents stripped (NFD without marks), lowercase. */
export function bertNormalize(text: string, o: BertNormalization): string {
  let s = '';
  for (const c of text) {
    const cp = c.codePointAt(0)!;
    if ((o.cleanText ?? true) && (cp === 0 || cp === 0xfffd || (CONTROL.test(c) && c !== '\t' && c !== '\n' && c !== '\r'))) continue;
    if ((o.cleanText ?? true) && WHITE.test(c)) s += ' ';
    else if ((o.chineseChars ?? true) && isCjk(cp)) s += ` ${c} `;
    else s += c;
  }
  if (o.stripAccents) s = s.normalize('NFD').replace(/\p{Mn}/gu, '');
  if (o.lowercase) s = s.toLowerCase();
  return s;
}

/** BERT's pre-tokenizer: words split at whitespace, each punctuation character a word of its own. */
export function bertSplit(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const c of text) {
    if (WHITE.test(c)) {
      if (cur) words.push(cur);
      cur = '';
    } else if (PUNCT.test(c)) {
      if (cur) words.push(cur);
      words.push(c);
      cur = '';
    } else cur += c;
  }
  if (cur) words.push(cur);
  return words;
}

export function bertWords(text: string, o: BertNormalization): string[] {
  return bertSplit(bertNormalize(text, o));
}

/**
 * WordPiece: the longest vocabulary piece at the start of the word, then the longest continuation piece after
 * it, and so on; a word that cannot be covered is the unknown token as a whole.
 * `lookup(piece, first)` knows how the vocabulary marks word starts or continuations ("▁x" in GGUF, "##x" in HF).
 */
export function wordPiece(
  word: string,
  lookup: (piece: string, first: boolean) => number | undefined,
  unkId: number,
  maxChars: number,
  out: number[],
): void {
  const chars = Array.from(word);
  if (chars.length > maxChars) {
    out.push(unkId);
    return;
  }
  const ids: number[] = [];
  for (let start = 0; start < chars.length; ) {
    let found: number | undefined;
    let end = chars.length;
    for (; end > start; end--) {
      found = lookup(chars.slice(start, end).join(''), start === 0);
      if (found !== undefined) break;
    }
    if (found === undefined) {
      out.push(unkId);
      return;
    }
    ids.push(found);
    start = end;
  }
  for (const id of ids) out.push(id);
}

/** Hugging Face's clean_up_tokenization: WordPiece decoding glues punctuation and contractions back on. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** WordPiece decoding: a token that continues a word joins it, any other starts a new word after a space. */
export function wordPieceText(text: string, continuation: string | undefined): string {
  return continuation !== undefined && text.startsWith(continuation) ? text.slice(continuation.length) : ` ${text}`;
}
