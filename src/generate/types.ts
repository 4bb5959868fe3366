/** What a caller can ask of one generation; every field optional, defaults as llama.cpp's. */
export interface SamplingOptions {
  /** 0 means greedy. Default 0.8. */
  temperature?: number;
  /** 0 disables. Default 40. */
  topK?: number;
  /** 1 disables. Default 0.95. */
  topP?: number;
  /** 0 disables. Default 0.05. */
  minP?: number;
  /** 1 disables. Default 1. */
  typicalP?: number;
  /** 1 disables. Default 1. */
  repeatPenalty?: number;
  /** Tokens looked back at for the penalties; default 64, -1 = the whole context. */
  repeatLastN?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Added to the logit of the given token ids before sampling (-Infinity bans a token). */
  logitBias?: ReadonlyMap<number, number>;
  /** Makes a sampled run reproducible token for token. */
  seed?: number;
}

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most. Default: until end of generation or the context is full. */
  maxTokens?: number;
  /** Generation ends before any of these strings; the stop text itself is never emitted. */
  stop?: readonly string[];
  /** Report the chosen token's log-probability and this many alternatives (0 = chosen token only). */
  logprobs?: number;
  /** Add the model's BOS token to a text prompt (default: the model's add_bos flag). */
  addBos?: boolean;
  /** Match control tokens written in a text prompt as single tokens (default false). */
  parseSpecial?: boolean;
  signal?: AbortSignal;
}

export interface TokenLogprob {
  readonly tokenId: number;
  readonly token: string;
  readonly logprob: number;
}

/** One streamed step: the text it completes (may be '' while a UTF-8 character or a possible stop string is pending). */
export interface GenerationChunk {
  readonly text: string;
  readonly tokenId: number;
  readonly logprob?: TokenLogprob;
  readonly topLogprobs?: readonly TokenLogprob[];
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerationResult {
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Milliseconds spent on the prompt (prefill) and on generating. */
  readonly promptMs: number;
  readonly generateMs: number;
}
