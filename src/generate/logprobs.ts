import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { topIndices } from './top-indices.js';
import type { TokenLogprob } from './types.js';

/**
 * Log-probabilities under the model's own distribution (log-softmax of the raw logits, before any sampler
 * changes them), as OpenAI's API reports them: the chosen token's and the `top` most likely tokens'.
 */
export function tokenLogprobs(
  logits: Float32Array,
  chosen: number,
  top: number,
  tokenizer: Tokenizer,
): { logprob: TokenLogprob; topLogprobs: TokenLogprob[] } {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const logZ = max + Math.log(sum);
  const entry = (id: number): TokenLogprob => ({ tokenId: id, token: tokenizer.tokenText(id), logprob: logits[id]! - logZ });
  return { logprob: entry(chosen), topLogprobs: topIndices(logits, top).map(entry) };
}
