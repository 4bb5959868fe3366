import type { FastifyReply } from 'fastify';
import type { ChatTemplate } from '../chat/template.js';
import { ApiError } from './api-error.js';
import type { GenerationService } from './generation.js';
import type { ServerMetrics } from './metrics.js';

/** The model once it is loaded, with what the endpoints derive from it. */
export interface LoadedModel {
  readonly service: GenerationService;
  readonly chatTemplate: ChatTemplate;
}

/** What the route modules share: the model (absent while it loads), its public name, the metrics. */
export class ServerContext {
  loaded: LoadedModel | undefined;
  /** Unix seconds, for /v1/models. */
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    /** The name clients use for the model (--model-alias, else the file name). */
    readonly modelName: string,
    readonly metrics: ServerMetrics,
  ) {}

  /** The loaded model, or a 503 while it is still loading. */
  model(): LoadedModel {
    if (this.loaded === undefined) throw new ApiError(503, 'unavailable_error', 'model_loading', 'the model is still loading; retry when GET /health answers 200');
    return this.loaded;
  }

  /** A request may name the model; only the one this server serves exists. */
  checkModelName(requested: string | null | undefined): void {
    if (requested == null || requested === '' || requested === this.modelName) return;
    throw new ApiError(404, 'not_found_error', 'model_not_found', `the model '${requested}' does not exist; this server serves '${this.modelName}' (GET /v1/models)`, 'model');
  }
}

/** Aborts when the client disconnects before its response is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client disconnected'));
  });
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
