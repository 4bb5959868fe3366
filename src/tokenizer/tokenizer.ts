export interface EncodeOptions {
  /** Prepend BOS (default: the model's add_bos flag). */
  addBos?: boolean;
  /** Append EOS (default: the model's add_eos flag). */
  addEos?: boolean;
  /** Match control/special tokens written in the text as single tokens (default false). */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  skipSpecial?: boolean;
  cleanUpSpaces?: boolean;
}

/**
 * Turns text into token ids and back. Implementations: SentencePiece-style (llama), byte-level BPE (gpt2),
 * WordPiece (bert), Unigram; built from GGUF metadata or a Hugging Face tokenizer.json.
 */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  /**
   * Text of a whole sequence; special tokens are rendered unless skipSpecial. cleanUpSpaces removes the space
   * before punctuation and contractions (transformers' clean_up_tokenization_spaces; off by default, since it
   * breaks the round trip).
   */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The raw bytes a single token stands for (byte tokens give their byte). */
  tokenBytes(id: number): Uint8Array;
  /** The vocabulary string of a token, as stored (for display and logprobs). */
  tokenText(id: number): string;
  /** True for end-of-generation tokens (EOS, EOT, <|im_end|>, ...). */
  isEndOfGeneration(id: number): boolean;
  /** Incremental decoder for streaming: never emits half a UTF-8 character. */
  streamDecoder(): StreamDecoder;
}

export interface StreamDecoder {
  /** Feeds one token; returns the text that became complete (possibly ''). */
  push(id: number): string;
  /** Whatever is still pending (invalid UTF-8 becomes U+FFFD). */
  flush(): string;
}
