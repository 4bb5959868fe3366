import { z } from 'zod';
import type { GenerateOptions } from '../generate/types.js';
import { badRequest } from './api-error.js';

/**
 * Request bodies, validated before anything runs. Unknown fields are ignored (OpenAI clients send
 * fields we do not use); known ones must have the right type and range, else the 400 names the field.
 */

const count = z.number().int().min(0);
/**
 * Text the model reads. JSON may escape half a surrogate pair ("\ud800"), which no UTF-8 can encode:
 * refused rather than tokenized as U+FFFD, which would silently change the prompt.
 */
const text = z.string().refine((s) => !/\p{Cs}/u.test(s), 'contains a lone UTF-16 surrogate (a \\ud800-\\udfff escape without its pair); send valid Unicode');
/** OpenAI allows 4 stop strings; llama-server any number. Chat templates' end markers easily make more than 4. */
const MAX_STOPS = 16;
const stop = z.union([text, z.array(text).max(MAX_STOPS, `at most ${MAX_STOPS} stop strings`)], { error: `must be a string or an array of at most ${MAX_STOPS} strings` }).nullish();

/** Sampling fields every generating endpoint takes: OpenAI's names, plus llama.cpp's extensions. */
const sampling = {
  model: z.string().nullish(),
  max_tokens: count.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: count.nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repeat_penalty: z.number().min(0).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100)).nullish(),
  seed: z.number().int().nullish(),
  stop,
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().nullish(),
};

const textPart = z.object({ type: z.literal('text', { error: 'only text content parts are supported' }), text });

const messages = z
  .array(
    z.object({
      role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
      content: z.union([text, z.array(textPart), z.null()]),
    }),
  )
  .min(1, 'send at least one message');
export type RequestMessages = z.infer<typeof messages>;

export const chatRequest = z
  .object({
    ...sampling,
    messages,
    max_completion_tokens: count.nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    // Refused rather than ignored: a client asking for JSON or a tool call would get prose it cannot parse.
    response_format: z.object({ type: z.literal('text', { error: 'only text replies are supported (no JSON mode or JSON schema)' }) }).nullish(),
    tools: z.array(z.unknown()).max(0, 'function calling is not supported; send no tools').nullish(),
  })
  .refine((body) => body.top_logprobs == null || body.logprobs === true, { message: 'needs logprobs: true', path: ['top_logprobs'] });
export type ChatRequest = z.infer<typeof chatRequest>;

export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([text, z.array(z.number().int().min(0)).min(1), z.array(text).length(1, 'send one prompt (batches are not supported)')], {
    error: 'must be a string, an array of token ids, or an array of one string',
  }),
  logprobs: z.number().int().min(0).max(5).nullish(),
  echo: z.literal(false, { error: 'echo is not supported' }).nullish(),
  suffix: z.string().max(0, 'suffix (fill-in-the-middle) is not supported').nullish(),
  best_of: z.literal(1, { error: 'only best_of = 1 is supported' }).nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequest>;

/** POST /generate: a prompt and the same sampling fields. */
export const nativeGenerateRequest = z.object({
  ...sampling,
  prompt: text,
});
export type NativeGenerateRequest = z.infer<typeof nativeGenerateRequest>;

/** POST /apply-template: the prompt a chat request would generate from. */
export const applyTemplateRequest = z.object({ messages });

export const tokenizeRequest = z.object({
  content: text,
  add_special: z.boolean().nullish(),
  parse_special: z.boolean().nullish(),
  with_pieces: z.boolean().nullish(),
});

export const detokenizeRequest = z.object({
  tokens: z.array(z.number().int().min(0)),
});

/** The parsed body, or a 400 naming the first offending field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('invalid_body', 'the request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = mostSpecific(result.error.issues[0]!);
  const field = issue.path.map(String).join('.');
  throw badRequest('invalid_value', field === '' ? issue.message : `${field}: ${issue.message}`, field === '' ? null : field);
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * For a value matching none of a union's shapes, zod reports only "Invalid input"; the branch that got
 * furthest into the value (the longest path), or else the one whose type matched, says what is actually
 * wrong with it.
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  const depth = (i: Issue) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5);
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && (!best || depth(first) > depth(best))) best = first;
  }
  return best && depth(best) > 0 ? mostSpecific({ ...best, path: [...issue.path, ...best.path] }) : issue;
}

type SamplingFields = { [K in keyof typeof sampling]?: z.infer<(typeof sampling)[K]> };

/** The engine's options for a request's sampling fields (absent fields keep the engine's defaults). */
export function generateOptions(request: SamplingFields, vocabSize: number): GenerateOptions {
  const options: GenerateOptions = {};
  if (request.max_tokens != null) options.maxTokens = request.max_tokens;
  if (request.temperature != null) options.temperature = request.temperature;
  if (request.top_p != null) options.topP = request.top_p;
  if (request.top_k != null) options.topK = request.top_k;
  if (request.min_p != null) options.minP = request.min_p;
  if (request.repeat_penalty != null) options.repeatPenalty = request.repeat_penalty;
  if (request.presence_penalty != null) options.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) options.frequencyPenalty = request.frequency_penalty;
  // -1 is llama.cpp's (and `realizar run --seed`'s) "pick one at random": the engine's default without a seed.
  if (request.seed != null && request.seed !== -1) options.seed = request.seed;
  if (request.stop != null) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((s) => s !== '');
    if (stops.length > 0) options.stop = stops;
  }
  if (request.logit_bias != null) {
    const bias = new Map<number, number>();
    for (const [key, value] of Object.entries(request.logit_bias)) {
      const id = Number(key);
      if (id >= vocabSize) throw badRequest('invalid_value', `logit_bias: token ${id} is not in the vocabulary (ids 0..${vocabSize - 1})`, 'logit_bias');
      // OpenAI documents ±100 as a ban or an exclusive choice; an infinite bias makes that exact.
      bias.set(id, value <= -100 ? -Infinity : value);
    }
    options.logitBias = bias;
  }
  return options;
}
