import { fail } from '../errors.js';
import type { Llama } from '../model/llama.js';
import { MAX_BATCH } from '../model/sequence.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { tokenLogprobs } from './logprobs.js';
import { Sampler } from './sampler.js';
import { StopMatcher } from './stop.js';
import type { FinishReason, GenerateOptions, GenerationChunk, GenerationResult } from './types.js';

/** Lets timers, I/O and other generations run between tokens. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How many tokens a generation may produce: what was asked, bounded by the context; fails when nothing fits. */
export function completionBudget(promptTokens: number, maxTokens: number | undefined, contextLength: number): number {
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 0)) fail('BAD_ARGUMENT', `maxTokens must be a non-negative integer, got ${maxTokens}`);
  if (promptTokens === 0) fail('BAD_ARGUMENT', 'the prompt is empty (no tokens); give some text or enable BOS');
  const room = contextLength - promptTokens;
  if (room < 1) fail('BAD_ARGUMENT', `the prompt has ${promptTokens} tokens, the context length is ${contextLength}: no room to generate; shorten the prompt or raise the context length (--ctx)`);
  if (maxTokens !== undefined && maxTokens > room) {
    fail('BAD_ARGUMENT', `prompt (${promptTokens} tokens) + maxTokens (${maxTokens}) exceeds the context length of ${contextLength}; lower maxTokens or raise the context length (--ctx)`);
  }
  return maxTokens ?? room;
}

/**
 * Streams the continuation of `prompt` (token ids): the prompt in slices of up to MAX_BATCH tokens, then one
 * token per step, each on this generation's own KV cache, yielding to the event loop between steps.
 * Options and the context budget are checked here, when called, before any work.
 */
export function generate(
  llama: Llama,
  tokenizer: Tokenizer,
  contextLength: number,
  prompt: readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GenerationChunk, GenerationResult, undefined> {
  const budget = completionBudget(prompt.length, options.maxTokens, contextLength);
  const topLogprobs = options.logprobs;
  if (topLogprobs !== undefined && (!Number.isInteger(topLogprobs) || topLogprobs < 0)) fail('BAD_ARGUMENT', `logprobs must be a non-negative integer, got ${topLogprobs}`);
  const sampler = new Sampler(options);
  return run(llama, tokenizer, prompt, budget, sampler, options);
}

async function* run(
  llama: Llama,
  tokenizer: Tokenizer,
  prompt: readonly number[],
  budget: number,
  sampler: Sampler,
  options: GenerateOptions,
): AsyncGenerator<GenerationChunk, GenerationResult, undefined> {
  const topLogprobs = options.logprobs;
  const stops = new StopMatcher(options.stop ?? []);
  const decoder = tokenizer.streamDecoder();
  const signal = options.signal;

  const started = performance.now();
  // Until the prompt is through, all time spent is prompt time (an abort may come before it is).
  let promptDone: number | undefined;
  let completionTokens = 0;
  let finishReason: FinishReason = 'length';
  // Text generated after a prompt without text (just BOS) begins the text, and is decoded as such.
  let atTextStart = tokenizer.decode(prompt, { skipSpecial: true }) === '';
  // The last token is sampled, never evaluated, so the cache needs one position less than prompt + budget.
  const seq = llama.newSequence(prompt.length + Math.max(0, budget - 1));
  try {
    for (const t of prompt) sampler.accept(t);
    let logits: Float32Array = new Float32Array(0);
    for (let from = 0; from < prompt.length; from += MAX_BATCH) {
      if (signal?.aborted === true) return result('abort');
      logits = llama.forward(seq, prompt.slice(from, from + MAX_BATCH));
      await yieldToEventLoop();
    }
    promptDone = performance.now();

    while (completionTokens < budget) {
      if (signal?.aborted === true) {
        finishReason = 'abort';
        break;
      }
      const token = sampler.sample(logits);
      const probs = topLogprobs === undefined ? undefined : tokenLogprobs(logits, token, topLogprobs, tokenizer);
      if (tokenizer.isEndOfGeneration(token)) {
        finishReason = 'stop';
        const rest = stops.push(decoder.flush()).text + stops.flush();
        if (rest !== '') yield { text: rest, tokenId: token };
        break;
      }
      sampler.accept(token);
      completionTokens++;
      const last = completionTokens === budget;
      let piece = decoder.push(token) + (last ? decoder.flush() : '');
      if (atTextStart && piece !== '') {
        piece = startOfText(tokenizer, token, piece);
        atTextStart = false;
      }
      const { text, stopped } = stops.push(piece);
      const tail = last && !stopped ? stops.flush() : '';
      yield { text: text + tail, tokenId: token, ...probs };
      if (stopped) {
        finishReason = 'stop';
        break;
      }
      if (last) break;
      logits = llama.forward(seq, [token]);
      await yieldToEventLoop();
    }
    return result(finishReason);
  } finally {
    seq.dispose();
  }

  function result(reason: FinishReason): GenerationResult {
    const end = performance.now();
    const prefilled = promptDone ?? end;
    return {
      finishReason: reason,
      promptTokens: prompt.length,
      completionTokens,
      promptMs: prefilled - started,
      generateMs: end - prefilled,
    };
  }
}

/**
 * The first piece of a text: SentencePiece marks word starts with a space, and a text's first word loses it
 * (decode drops it; llama2.c strips it after BOS). A continuation of some text keeps it.
 */
function startOfText(tokenizer: Tokenizer, token: number, piece: string): string {
  return piece.startsWith(' ') && !tokenizer.decode([token]).startsWith(' ') ? piece.slice(1) : piece;
}
