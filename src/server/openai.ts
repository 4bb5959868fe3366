import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FinishReason } from '../generate/types.js';
import { badRequest } from './api-error.js';
import { chatPrompt, type ServerContext } from './context.js';
import { characters, chatLogprobs, completionLogprobs } from './logprobs.js';
import { collect, forEachStep, start } from './request-generation.js';
import { chatRequest, completionRequest, generateOptions, parseBody } from './schemas.js';
import { SSE_HEADERS, sseStream } from './sse.js';

/** OpenAI's completion default (chat has none: it runs to the end of the turn or the context). */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The OpenAI-compatible endpoints: /v1/chat/completions, /v1/completions, /v1/models. */
export function registerOpenAIRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const modelEntry = () => ({ id: ctx.modelName, object: 'model', created: ctx.createdAt, owned_by: 'realizar' });
  app.get('/v1/models', async () => ({ object: 'list', data: [modelEntry()] }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    ctx.checkModelName(request.params.id);
    return modelEntry();
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const arrivedAt = performance.now();
    const body = parseBody(chatRequest, request.body);
    ctx.checkModelName(body.model);
    const loaded = ctx.model();
    const { service } = loaded;
    const { tokenizer } = service.model;
    const ids = service.tokenize(chatPrompt(loaded, body.messages), 'messages', { parseSpecial: true });
    const options = generateOptions(body, tokenizer.vocabSize);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (maxTokens != null) options.maxTokens = maxTokens;
    if (body.logprobs) options.logprobs = body.top_logprobs ?? 0;
    const generation = await start(request, reply, ctx, ids, options, arrivedAt);

    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    const head = { id, object: 'chat.completion', created, model: ctx.modelName };
    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunkHead = { ...head, object: 'chat.completion.chunk' };
      const usageField = includeUsage ? { usage: null } : {};
      async function* events() {
        yield { ...chunkHead, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usageField };
        const end = yield* forEachStep(generation, request, body.logprobs === true, (chunk) => ({
          ...chunkHead,
          choices: [{ index: 0, delta: { content: chunk.text }, logprobs: body.logprobs ? chatLogprobs(tokenizer, [chunk]) : null, finish_reason: null }],
          ...usageField,
        }));
        yield { ...chunkHead, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(end.finishReason) }], ...usageField };
        if (includeUsage) yield { ...chunkHead, choices: [], usage: usage(request) };
      }
      return reply.headers(SSE_HEADERS).send(sseStream(events()));
    }
    const { text, chunks, finish } = await collect(generation, request);
    return {
      ...head,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: body.logprobs ? chatLogprobs(tokenizer, chunks) : null,
          finish_reason: finishReason(finish),
        },
      ],
      usage: usage(request),
    };
  });

  app.post('/v1/completions', async (request, reply) => {
    const arrivedAt = performance.now();
    const body = parseBody(completionRequest, request.body);
    ctx.checkModelName(body.model);
    const { service } = ctx.model();
    const { tokenizer } = service.model;
    let ids: number[];
    let promptText: string;
    if (typeof body.prompt === 'string' || typeof body.prompt[0] === 'string') {
      promptText = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] as string);
      ids = service.tokenize(promptText, 'prompt', { parseSpecial: false });
    } else {
      ids = body.prompt as number[];
      const bad = ids.find((id) => id >= tokenizer.vocabSize);
      if (bad !== undefined) throw badRequest('invalid_value', `prompt: token ${bad} is not in the vocabulary (ids 0..${tokenizer.vocabSize - 1})`, 'prompt');
      service.checkFits(ids, 'prompt');
      promptText = tokenizer.decode(ids, { skipSpecial: true });
    }
    const options = generateOptions(body, tokenizer.vocabSize);
    options.maxTokens = body.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS;
    if (body.logprobs != null) options.logprobs = body.logprobs;
    const generation = await start(request, reply, ctx, ids, options, arrivedAt);

    const id = `cmpl-${randomUUID().replaceAll('-', '')}`;
    const head = { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: ctx.modelName };
    const wantLogprobs = body.logprobs != null;
    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const usageField = includeUsage ? { usage: null } : {};
      let offset = characters(promptText);
      async function* events() {
        const end = yield* forEachStep(generation, request, wantLogprobs, (chunk) => {
          const event = { ...head, choices: [{ text: chunk.text, index: 0, logprobs: wantLogprobs ? completionLogprobs(tokenizer, [chunk], offset) : null, finish_reason: null }], ...usageField };
          offset += characters(chunk.text);
          return event;
        });
        yield { ...head, choices: [{ text: '', index: 0, logprobs: null, finish_reason: finishReason(end.finishReason) }], ...usageField };
        if (includeUsage) yield { ...head, choices: [], usage: usage(request) };
      }
      return reply.headers(SSE_HEADERS).send(sseStream(events()));
    }
    const { text, chunks, finish } = await collect(generation, request);
    return {
      ...head,
      choices: [{ text, index: 0, logprobs: wantLogprobs ? completionLogprobs(tokenizer, chunks, characters(promptText)) : null, finish_reason: finishReason(finish) }],
      usage: usage(request),
    };
  });
}

function usage(request: FastifyRequest): Usage {
  const { promptTokens, completionTokens } = request.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** A client that left never sees its finish reason; 'stop' keeps the field within OpenAI's values. */
function finishReason(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}
