import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GenerateOptions, GenerationChunk, GenerationResult } from '../generate/types.js';
import { requestEnded, type ServerContext } from './context.js';
import type { Generation } from './generation.js';

/** Running one request's generation, whatever the endpoint: admission, token counting for the log, collection. */

/** Admits the generation (429 when busy) and records the prompt's size for the log. */
export async function start(request: FastifyRequest, reply: FastifyReply, ctx: ServerContext, ids: number[], options: GenerateOptions, arrivedAt: number): Promise<Generation> {
  request.usage.promptTokens = ids.length;
  return ctx.model().service.admit(ids, options, requestEnded(reply), arrivedAt);
}

/**
 * Yields `toEvent(chunk)` for every generated token, counting them; returns the generation's result.
 * A token that completes no text yet (half a UTF-8 character, a possible stop string) makes no event
 * unless `keepEmpty` (logprobs report every token).
 */
export async function* forEachStep<E>(generation: Generation, request: FastifyRequest, keepEmpty: boolean, toEvent: (chunk: GenerationChunk) => E) {
  for (;;) {
    const step = await generation.next();
    if (step.done) return finished(request, step.value);
    request.usage.completionTokens++;
    if (keepEmpty || step.value.text !== '') yield toEvent(step.value);
  }
}

/** Runs a generation to its end, keeping its text and steps. */
export async function collect(generation: Generation, request: FastifyRequest) {
  const chunks: GenerationChunk[] = [];
  for (;;) {
    const step = await generation.next();
    if (step.done) return { text: chunks.map((c) => c.text).join(''), chunks, finish: step.value.finishReason, result: finished(request, step.value) };
    request.usage.completionTokens++;
    chunks.push(step.value);
  }
}

/**
 * The engine's count is the usage: a generation ending at an end-of-generation token yields one more
 * step (the text it held back for a possible stop string) that is no generated token.
 */
function finished(request: FastifyRequest, result: GenerationResult): GenerationResult {
  request.usage.completionTokens = result.completionTokens;
  return result;
}
