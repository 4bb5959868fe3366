import type { FastifyReply } from 'fastify';
import type { ChatMessage, ChatTemplate } from '../chat/template.js';
import { ApiError } from './api-error.js';
import type { GenerationService } from './generation.js';
import type { ServerMetrics } from './metrics.js';
import type { RequestMessages } from './schemas.js';

/** The model once it is loaded, with what the endpoints derive from it. */
export interface ReadyModel {
  readonly service: GenerationService;
  readonly chatTemplate: ChatTemplate;
}

/** What the route modules share: the model (absent while it loads), its public name, the metrics. */
export class ServerContext {
  loaded: ReadyModel | undefined;
  /** Unix seconds, for /v1/models. */
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    /** The name clients use for the model (--model-alias, else the file name). */
    readonly modelName: string,
    readonly metrics: ServerMetrics,
  ) {}

  /** The loaded model, or a 503 while it is still loading. */
  model(): ReadyModel {
    if (this.loaded === undefined) throw new ApiError(503, 'unavailable_error', 'model_loading', 'the model is still loading; retry when GET /health answers 200');
    return this.loaded;
  }

  /** A request may name the model; only the one this server serves exists. */
  checkModelName(requested: string | null | undefined): void {
    if (requested == null || requested === '' || requested === this.modelName) return;
    throw new ApiError(404, 'not_found_error', 'model_not_found', `the model '${requested}' does not exist; this server serves '${this.modelName}' (GET /v1/models)`, 'model');
  }
}

/**
 * The prompt text a chat request generates from, ending in the assistant's turn. Text parts are joined;
 * OpenAI's newer 'developer' role is the system role to a template.
 */
export function chatPrompt(loaded: ReadyModel, messages: RequestMessages): string {
  const { tokenizer } = loaded.service.model;
  const turns: ChatMessage[] = messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((part) => part.text).join(''),
  }));
  return loaded.chatTemplate.render(turns, {
    addGenerationPrompt: true,
    bosToken: tokenizer.bosId === undefined ? '' : tokenizer.tokenText(tokenizer.bosId),
    eosToken: tokenizer.eosId === undefined ? '' : tokenizer.tokenText(tokenizer.eosId),
  });
}

/** Aborts when the response closes: the client disconnected, or the response is complete. */
export function requestEnded(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort(new Error(reply.raw.writableFinished ? 'the request ended' : 'the client disconnected')));
  return controller.signal;
}

/** Token counts a request used, for its log line. */
export interface RequestUsage {
  promptTokens: number;
  completionTokens: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    usage: RequestUsage;
  }
}
