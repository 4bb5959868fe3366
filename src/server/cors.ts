import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin access, so that browser apps (chat UIs, notebooks) can call the API as they call
 * llama-server's. `origins` is ['*'] for any origin, or the exact origins allowed.
 */
export interface CorsPolicy {
  readonly origins: readonly string[];
}

export const ANY_ORIGIN: CorsPolicy = { origins: ['*'] };

/** Preflight answers may be cached this long (seconds), sparing a browser one OPTIONS per request. */
const PREFLIGHT_MAX_AGE = 600;

/**
 * Adds the CORS headers to every response of an allowed origin and answers preflights (OPTIONS with
 * Access-Control-Request-Method) itself with 204, before authentication: browsers never send the
 * Authorization header on a preflight.
 */
export function registerCors(app: FastifyInstance, policy: CorsPolicy): void {
  const anyOrigin = policy.origins.includes('*');
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!anyOrigin) {
      reply.header('vary', 'Origin');
      if (!policy.origins.includes(origin)) return;
    }
    reply.header('access-control-allow-origin', anyOrigin ? '*' : origin);
    reply.header('access-control-expose-headers', 'content-type, retry-after');
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return;
    reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
    reply.header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'authorization, content-type');
    reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE));
    return reply.status(204).send();
  });
}
