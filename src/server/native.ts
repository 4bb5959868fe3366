import type { FastifyInstance } from 'fastify';
import type { GenerationResult } from '../generate/types.js';
import { badRequest } from './api-error.js';
import { chatPrompt, type ServerContext } from './context.js';
import { collect, forEachStep, start } from './request-generation.js';
import { SSE_HEADERS, sseStream } from './sse.js';
import { tokenPiece } from './token-piece.js';
import { applyTemplateRequest, detokenizeRequest, generateOptions, nativeGenerateRequest, parseBody, tokenizeRequest } from './schemas.js';

/** realizar's own endpoints: /generate, /apply-template, /tokenize, /detokenize, /health, /metrics (llama.cpp's field names where it has them). */
export function registerNativeRoutes(app: FastifyInstance, ctx: ServerContext, loadError: () => Error | undefined): void {
  app.get('/health', async (_request, reply) => {
    const failed = loadError();
    if (failed) return reply.status(500).send({ status: 'error', message: failed.message });
    if (ctx.loaded === undefined) return reply.status(503).send({ status: 'loading' });
    return { status: 'ok', model: ctx.modelName };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.post('/generate', async (request, reply) => {
    const arrivedAt = performance.now();
    const body = parseBody(nativeGenerateRequest, request.body);
    ctx.checkModelName(body.model);
    const { service } = ctx.model();
    const ids = service.tokenize(body.prompt, 'prompt', { parseSpecial: false });
    const generation = await start(request, reply, ctx, ids, generateOptions(body, service.model.tokenizer.vocabSize), arrivedAt);
    const summary = (result: GenerationResult) => ({
      model: ctx.modelName,
      finish_reason: result.finishReason,
      usage: { prompt_tokens: ids.length, completion_tokens: result.completionTokens, total_tokens: ids.length + result.completionTokens },
      timings: { prompt_ms: result.promptMs, generate_ms: result.generateMs },
    });
    if (body.stream) {
      // The one-piece answer's fields: every token's id and the text it completes ('' while a character
      // or a possible stop string is pending), then the summary.
      async function* events() {
        const result = yield* forEachStep(generation, request, true, (chunk) => ({ text: chunk.text, token: chunk.tokenId }));
        yield { text: '', ...summary(result) };
      }
      return reply.headers(SSE_HEADERS).send(sseStream(events()));
    }
    const { text, chunks, result } = await collect(generation, request);
    return { text, tokens: chunks.map((c) => c.tokenId), ...summary(result) };
  });

  app.post('/apply-template', async (request) => {
    const body = parseBody(applyTemplateRequest, request.body);
    return { prompt: chatPrompt(ctx.model(), body.messages) };
  });

  app.post('/tokenize', async (request) => {
    const body = parseBody(tokenizeRequest, request.body);
    const { tokenizer } = ctx.model().service.model;
    const ids = tokenizer.encode(body.content, {
      // add_special false: the bare text's tokens; otherwise the model's own BOS/EOS flags decide.
      ...(body.add_special === false ? { addBos: false, addEos: false } : {}),
      parseSpecial: body.parse_special ?? false,
    });
    if (!body.with_pieces) return { tokens: ids };
    // As llama-server: the piece's text, or its bytes when they are not whole UTF-8.
    return {
      tokens: ids.map((id) => {
        const { text, bytes } = tokenPiece(tokenizer, id);
        return { id, piece: text ?? bytes };
      }),
    };
  });

  app.post('/detokenize', async (request) => {
    const body = parseBody(detokenizeRequest, request.body);
    const { tokenizer } = ctx.model().service.model;
    const bad = body.tokens.find((id) => id >= tokenizer.vocabSize);
    if (bad !== undefined) throw badRequest('invalid_value', `tokens: ${bad} is not in the vocabulary (ids 0..${tokenizer.vocabSize - 1})`, 'tokens');
    return { content: tokenizer.decode(body.tokens) };
  });
}
