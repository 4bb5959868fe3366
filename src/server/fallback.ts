import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';

/**
 * Answers requests no route takes: 405 with an Allow header when the path exists under other methods
 * (a GET to a POST endpoint is a client mistake worth naming), else 404; both as OpenAI error bodies.
 * Must be registered before the routes, whose paths it records as they are added.
 */
export function registerFallback(app: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    // `/v1/models/:id` matches any one path segment in its place.
    const pattern = new RegExp(`^${route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : escape(part))).join('/')}$`);
    const methods = [route.method].flat().filter((m) => m !== 'HEAD');
    const known = routes.find((r) => r.pattern.source === pattern.source);
    if (known) for (const m of methods) known.methods.add(m);
    else routes.push({ pattern, methods: new Set(methods) });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]))];
    if (allowed.length > 0) {
      const error = new ApiError(405, 'invalid_request_error', 'method_not_allowed', `${path} does not take ${request.method}; use ${allowed.join(' or ')}`);
      return reply.status(405).header('allow', allowed.join(', ')).send(error.body());
    }
    const error = new ApiError(404, 'not_found_error', 'not_found', `no endpoint ${request.method} ${path}; see GET /v1/models, POST /v1/chat/completions, POST /generate`);
    return reply.status(404).send(error.body());
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
