import { fail } from '../errors.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** What perplexity needs of a model: its tokenizer and logits at every position. */
export interface Scorer {
  readonly tokenizer: Tokenizer;
  forward(tokens: readonly number[], options: { allPositions: true }): Float32Array;
}

export interface PerplexityResult {
  readonly tokens: number;
  readonly chunks: number;
  /** Running perplexity after each chunk, as llama-perplexity prints it. */
  readonly running: readonly number[];
  readonly perplexity: number;
  /** Standard error of the estimate (llama-perplexity's "+/-"). */
  readonly stderr: number;
}

/** The smallest chunk that leaves a second half to score. */
export const MIN_PERPLEXITY_CONTEXT = 4;

/**
 * Perplexity as llama-perplexity computes it: the text tokenized with BOS, cut into floor(tokens / nCtx)
 * chunks of nCtx tokens, each chunk's first token replaced by BOS, and only the second half of each chunk
 * scored (every token there has at least nCtx/2 tokens of context).
 */
export async function perplexity(model: Scorer, text: string, nCtx: number, onChunk?: (chunk: number, of: number, running: number) => void): Promise<PerplexityResult> {
  if (!Number.isInteger(nCtx) || nCtx < MIN_PERPLEXITY_CONTEXT) fail('BAD_ARGUMENT', `context size must be an integer of at least ${MIN_PERPLEXITY_CONTEXT}, got ${nCtx}`);
  const bos = model.tokenizer.bosId;
  const tokens = model.tokenizer.encode(text, { addBos: true });
  if (tokens.length < 2 * nCtx) fail('BAD_ARGUMENT', `the text has ${tokens.length} tokens; perplexity with a context of ${nCtx} needs at least ${2 * nCtx}; give a longer text or a smaller context (--ctx)`);
  const chunks = Math.floor(tokens.length / nCtx);
  const first = Math.floor(nCtx / 2);
  const vocab = model.tokenizer.vocabSize;
  let nll = 0;
  let nll2 = 0;
  let count = 0;
  const running: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
    if (bos !== undefined) chunk[0] = bos;
    const logits = model.forward(chunk, { allPositions: true });
    const rowSize = logits.length / nCtx;
    if (rowSize < vocab) fail('BAD_ARGUMENT', `model returned ${rowSize} logits per position for a vocabulary of ${vocab}`);
    // Position j predicts token j+1: score predictions of the chunk's second half.
    for (let j = first; j < nCtx - 1; j++) {
      const lp = logSoftmaxAt(logits.subarray(j * rowSize, (j + 1) * rowSize), chunk[j + 1]!);
      nll -= lp;
      nll2 += lp * lp;
      count++;
    }
    running.push(Math.exp(nll / count));
    onChunk?.(c + 1, chunks, running[c]!);
    // Let other work (progress output, a server) run between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const mean = nll / count;
  const ppl = Math.exp(mean);
  const variance = nll2 / count - mean * mean;
  const stderr = variance > 0 ? Math.sqrt(variance / (count - 1)) * ppl : 0;
  return { tokens: tokens.length, chunks, running, perplexity: ppl, stderr };
}

function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const l of row) if (l > max) max = l;
  let sum = 0;
  for (const l of row) sum += Math.exp(l - max);
  return row[id]! - max - Math.log(sum);
}
