import { timingSafeEqual } from 'node:crypto';
import { basename } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { namedChatTemplate, resolveChatTemplate } from '../chat/builtin.js';
import { fail } from '../errors.js';
import { loadModel } from '../model/load.js';
import { ApiError, badRequest, toApiError } from './api-error.js';
import { ServerContext } from './context.js';
import { ANY_ORIGIN, registerCors, type CorsPolicy } from './cors.js';
import type { ModelLoader, ServedModel } from './engine.js';
import { registerFallback } from './fallback.js';
import { GenerationService } from './generation.js';
import { ServerMetrics } from './metrics.js';
import { registerNativeRoutes } from './native.js';
import { registerOpenAIRoutes } from './openai.js';
import { formatRequestLine, type LogFormat } from './request-log.js';

export interface ServerOptions {
  readonly modelPath: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Context length per generation (default: the model's, as the loader caps it). */
  readonly contextLength?: number;
  readonly threads?: number;
  readonly backend?: string;
  /** Generations that run at once (default 1). */
  readonly parallel?: number;
  /** Requests that may wait for a slot before 429 (default 16 per slot). */
  readonly queueSize?: number;
  /** When set, every API request needs `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** The model's name in the API (default: the file name without .gguf). */
  readonly modelAlias?: string;
  /** A built-in template name or a Jinja file (default: the model's own, else a guess). */
  readonly chatTemplate?: string;
  /** Which browser origins may call the API (default any, as llama-server); null: no CORS headers. */
  readonly cors?: CorsPolicy | null;
  /** Largest request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Receives one line per request; default none. */
  readonly log?: (line: string) => void;
  readonly logFormat?: LogFormat;
  /** Loads the model (default: the library's loadModel). */
  readonly load?: ModelLoader;
}

export interface RunningServer {
  /** http://host:port, as listening. */
  readonly url: string;
  readonly port: number;
  /** Resolves once the model is loaded and the API answers; rejects if loading fails. */
  readonly ready: Promise<void>;
  /** Stops accepting, cancels running generations, waits for open requests, frees the model. */
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 1 << 20;
/** Paths anyone may call without the API key: liveness and scraping. */
const OPEN_PATHS = new Set(['/health', '/metrics']);

/**
 * Starts listening at once and loads the model behind it, so that /health can report 503 while loading
 * (what orchestrators poll) instead of the port being closed.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  // A template the caller names needs no model: a wrong name or a broken file fails before anything listens.
  const namedTemplate = options.chatTemplate !== undefined ? namedChatTemplate(options.chatTemplate) : undefined;
  const metrics = new ServerMetrics();
  const ctx = new ServerContext(options.modelAlias ?? basename(options.modelPath).replace(/\.gguf$/i, ''), metrics);
  let loadError: Error | undefined;
  const app = buildApp(ctx, options, () => loadError);

  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (err) {
    fail('BAD_ARGUMENT', `cannot listen on ${host}:${options.port ?? 8080} (${(err as Error).message}); pick another --port or --host`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);

  let model: ServedModel | undefined;
  const ready = (async () => {
    const began = performance.now();
    try {
      model = await (options.load ?? loadModel)(options.modelPath, {
        ...(options.contextLength !== undefined ? { contextLength: options.contextLength } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
      });
      const chatTemplate = namedTemplate ?? resolveChatTemplate(undefined, model.chatTemplate, modelHints(model));
      const parallel = options.parallel ?? 1;
      const service = new GenerationService(model, metrics, { parallel, queueSize: options.queueSize ?? 16 * parallel });
      metrics.modelLoadSeconds.set((performance.now() - began) / 1000);
      ctx.loaded = { service, chatTemplate };
    } catch (err) {
      loadError = err instanceof Error ? err : new Error(String(err));
      throw loadError;
    }
  })();
  ready.catch(() => {}); // the caller observes failure through `ready`; /health reports it meanwhile

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    ready,
    close: () =>
      (closing ??= (async () => {
        ctx.loaded?.service.abortAll();
        await app.close();
        await ready.catch(() => {});
        model?.dispose();
      })()),
  };
}

function buildApp(ctx: ServerContext, options: ServerOptions, loadError: () => Error | undefined): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Keep-alive connections must not hold a shutdown open.
    forceCloseConnections: true,
    // Base URLs written with a trailing slash (http://host/v1/) make clients ask for //chat/completions or models/.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });

  // Every body is JSON whatever its content type: `curl -d` sends application/x-www-form-urlencoded.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      // Strict: a replacement character silently standing in for bad bytes would change the prompt.
      text = new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer);
    } catch {
      return done(badRequest('invalid_utf8', 'the request body is not valid UTF-8; send JSON text encoded as UTF-8'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(badRequest('invalid_json', `the request body is not valid JSON (${(err as Error).message}); send a JSON object`), undefined);
    }
  });

  app.decorateRequest('usage', null as never);
  app.addHook('onRequest', async (request, reply) => {
    const began = performance.now();
    request.usage = { promptTokens: 0, completionTokens: 0 };
    reply.raw.once('close', () => {
      const status = reply.raw.writableFinished ? reply.statusCode : 499;
      const path = request.url.split('?')[0] ?? request.url;
      // Unmatched paths share one label so that scanners cannot grow the metric without bound.
      ctx.metrics.requests.inc({ endpoint: request.routeOptions.url ?? 'unmatched', status: String(status) });
      options.log?.(
        formatRequestLine(
          { method: request.method, path, status, promptTokens: request.usage.promptTokens, completionTokens: request.usage.completionTokens, ms: performance.now() - began },
          options.logFormat ?? 'text',
        ),
      );
    });
  });
  if (options.cors !== null) registerCors(app, options.cors ?? ANY_ORIGIN);
  app.addHook('onRequest', async (request) => {
    if (options.apiKey !== undefined && !OPEN_PATHS.has(request.routeOptions.url ?? '') && !hasKey(request.headers.authorization, options.apiKey)) {
      throw new ApiError(401, 'authentication_error', 'invalid_api_key', 'missing or wrong API key; send the header Authorization: Bearer <key>');
    }
  });

  app.setErrorHandler((err, _request, reply) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500 && !(err instanceof ApiError)) console.error(err);
    // A client library backs off for as long as Retry-After says (OpenAI's retries 429 by it).
    if (apiError.status === 429 || apiError.status === 503) reply.header('retry-after', '1');
    return reply.status(apiError.status).send(apiError.body());
  });
  registerFallback(app);
  registerOpenAIRoutes(app, ctx);
  registerNativeRoutes(app, ctx, loadError);
  return app;
}

function hasKey(header: string | undefined, key: string): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  const wanted = Buffer.from(`Bearer ${key}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** What the chat-template guess reads from a model with no template of its own. */
function modelHints(model: ServedModel) {
  const { tokenizer } = model;
  return {
    name: model.config.name || basename(model.path),
    architecture: model.config.architecture,
    hasToken: (text: string) => {
      const ids = tokenizer.encode(text, { addBos: false, addEos: false, parseSpecial: true });
      return ids.length === 1 && tokenizer.tokenText(ids[0]!) === text;
    },
  };
}
