import { fail } from '../errors.js';
import { SpecialSplitter, type Fragment } from './special-split.js';
import type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from './tokenizer.js';
import { wellFormed } from './utf8.js';
import { cleanUpTokenization } from './wordpiece.js';
import type { Vocab } from './vocab.js';

/** Which algorithm a tokenizer runs, for display. */
export type TokenizerKind = 'spm' | 'bpe' | 'wordpiece' | 'unigram';

/** Where a stretch of plain text sits in the input. */
export interface TextPosition {
  /** At the start of the input or right after a special token: where SentencePiece adds its prefix space. */
  readonly first: boolean;
  /** At the very start of the input (Hugging Face's Metaspace prepend_scheme "first"). */
  readonly start: boolean;
}

/** Everything that makes a particular tokenizer; the two loaders (GGUF, tokenizer.json) build one. */
export interface TokenizerParts {
  readonly kind: TokenizerKind;
  readonly vocab: Vocab;
  /** Bytes each token decodes to. */
  readonly pieces: readonly Uint8Array[];
  /**
   * Hugging Face's normalizer, run on each stretch of text between special tokens before the tokens matched
   * in normalized text are cut out. (GGUF tokenizers normalize inside encodeText.)
   */
  readonly normalize?: (text: string) => string;
  /** Tokenizes one stretch of plain text (the input, or a piece of it between special tokens) into `out`. */
  readonly encodeText: (text: string, out: number[], at: TextPosition) => void;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** Tokens written before/after the text when BOS/EOS are added (default [bos] / [eos]; BERT: [CLS] / [SEP]). */
  readonly prefix?: readonly number[];
  readonly suffix?: readonly number[];
  readonly eogIds: ReadonlySet<number>;
  /** Decoding drops one leading space: the one SentencePiece's prefix-space rule put there. */
  readonly stripLeadingSpace: boolean;
  /** A last clean-up of decoded text (WordPiece's punctuation gluing). */
  readonly cleanUp?: (text: string) => string;
  readonly chatTemplate?: string;
}

/** The Tokenizer the engine uses, assembled from its parts. */
export class TextTokenizer implements Tokenizer {
  private readonly splitter: SpecialSplitter;

  constructor(readonly parts: TokenizerParts) {
    this.splitter = new SpecialSplitter(parts.vocab);
  }

  get vocabSize(): number {
    return this.parts.vocab.size;
  }
  get bosId(): number | undefined {
    return this.parts.bosId;
  }
  get eosId(): number | undefined {
    return this.parts.eosId;
  }
  get kind(): TokenizerKind {
    return this.parts.kind;
  }
  get vocab(): Vocab {
    return this.parts.vocab;
  }
  /** The chat template shipped with the tokenizer (GGUF tokenizer.chat_template, tokenizer_config.json). */
  get chatTemplate(): string | undefined {
    return this.parts.chatTemplate;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const p = this.parts;
    const out: number[] = [];
    if (options.addBos ?? p.addBos) out.push(...this.around('prefix', p.prefix, p.bosId));
    const parseSpecial = options.parseSpecial ?? false;
    let first = true;
    let start = true;
    const take = (f: Fragment) => {
      if ('token' in f) {
        out.push(f.token);
        first = true;
      } else {
        p.encodeText(f.text, out, { first, start });
        first = false;
      }
      start = false;
    };
    for (const f of this.splitter.split(wellFormed(text), parseSpecial)) {
      if ('token' in f || p.normalize === undefined) take(f);
      else {
        const normalized = p.normalize(f.text);
        // A stretch that normalizes to nothing still ends the input's start.
        if (normalized.length === 0) start = false;
        for (const g of this.splitter.split(normalized, parseSpecial, true)) take(g);
      }
    }
    if (options.addEos ?? p.addEos) out.push(...this.around('suffix', p.suffix, p.eosId));
    return out;
  }

  private around(what: string, ids: readonly number[] | undefined, fallback: number | undefined): readonly number[] {
    if (ids !== undefined) return ids;
    if (fallback === undefined) fail('BAD_ARGUMENT', `${this.parts.vocab.source}: cannot add ${what === 'prefix' ? 'BOS' : 'EOS'}: the tokenizer defines no such token`);
    return [fallback];
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const id of ids) {
      this.parts.vocab.check(id);
      if (options.skipSpecial && this.parts.vocab.isSpecial(id)) continue;
      const b = this.parts.pieces[id]!;
      chunks.push(b);
      total += b.length;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    let text = new TextDecoder().decode(bytes);
    if (this.parts.stripLeadingSpace && text.startsWith(' ')) text = text.slice(1);
    if (this.parts.cleanUp) text = this.parts.cleanUp(text);
    return options.cleanUpSpaces ? cleanUpTokenization(text) : text;
  }

  tokenBytes(id: number): Uint8Array {
    return this.parts.pieces[this.parts.vocab.check(id)]!;
  }

  tokenText(id: number): string {
    return this.parts.vocab.texts[this.parts.vocab.check(id)]!;
  }

  isEndOfGeneration(id: number): boolean {
    return this.parts.eogIds.has(id);
  }

  /**
   * Streaming text of generated tokens. Unlike decode() it keeps a leading space: a continuation's first
   * word needs it.
   */
  streamDecoder(): StreamDecoder {
    const decoder = new TextDecoder();
    return {
      push: (id) => decoder.decode(this.tokenBytes(id), { stream: true }),
      flush: () => decoder.decode(),
    };
  }
}
