import type { Tokenizer } from '../tokenizer/tokenizer.js';
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

  const best: number[] = [];
  if (top > 0) {
    // A partial selection: keep the `top` best ids seen so far, sorted, in a short array.
    for (let id = 0; id < logits.length; id++) {
      if (best.length === top && logits[id]! <= logits[best[top - 1]!]!) continue;
      let at = best.length === top ? top - 1 : best.length;
      while (at > 0 && logits[best[at - 1]!]! < logits[id]!) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = id;
      best.length = Math.min(best.length, top);
    }
  }
  return { logprob: entry(chosen), topLogprobs: best.map(entry) };
}
