import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';

/** A route's path as segments; `:name` segments match any one segment (`/v1/models/:id`). */
type RoutePath = readonly string[];

/** Segments of a path; empty ones go, as the router ignores trailing and doubled slashes. */
function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matches(route: RoutePath, path: readonly string[]): boolean {
  return route.length === path.length && route.every((part, i) => part.startsWith(':') || part === path[i]);
}

/**
 * Answers requests no route takes: 405 with an Allow header when the path exists under other methods
 * (a GET to a POST endpoint is a client mistake worth naming), else 404; both as OpenAI error bodies.
 * Must be registered before the routes, whose paths it records as they are added.
 */
export function registerFallback(app: FastifyInstance): void {
  const routes: Array<{ path: RoutePath; methods: readonly string[] }> = [];
  app.addHook('onRoute', (route) => {
    routes.push({ path: segments(route.url), methods: [route.method].flat().filter((m) => m !== 'HEAD') });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const requested = segments(path);
    const allowed = [...new Set(routes.filter((r) => matches(r.path, requested)).flatMap((r) => r.methods))];
    if (allowed.length > 0) {
      const error = new ApiError(405, 'invalid_request_error', 'method_not_allowed', `${path} does not take ${request.method}; use ${allowed.join(' or ')}`);
      return reply.status(405).header('allow', allowed.join(', ')).send(error.body());
    }
    const error = new ApiError(404, 'not_found_error', 'not_found', `no endpoint ${request.method} ${path}; see GET /v1/models, POST /v1/chat/completions, POST /generate`);
    return reply.status(404).send(error.body());
  });
}
