import { RealizarError } from '../errors.js';

/** OpenAI's error categories, which its client libraries map to exception classes. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'unavailable_error';

/** A request the server refuses, answered with OpenAI's error body so any OpenAI client can report it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): { error: { message: string; type: ApiErrorType; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function badRequest(code: string, message: string, param: string | null = null): ApiError {
  return new ApiError(400, 'invalid_request_error', code, message, param);
}

/** Fastify's own errors carry an HTTP status and an FST_* code. */
interface HttpError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * Any error a handler throws, as the OpenAI error it is: deliberate engine errors are the caller's
 * fault (4xx), fastify's are passed through with their status, anything else is a 500 that hides details.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RealizarError) {
    if (err.code === 'BAD_ARGUMENT') return badRequest('invalid_value', err.message);
    if (err.code === 'ABORTED') return new ApiError(499, 'invalid_request_error', 'aborted', err.message);
    return new ApiError(500, 'server_error', err.code.toLowerCase(), err.message);
  }
  const http = (typeof err === 'object' && err !== null ? err : {}) as HttpError;
  const status = http.statusCode;
  if (status === 413 || http.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(413, 'invalid_request_error', 'request_too_large', `${http.message ?? 'request body is too large'}; send a smaller body`);
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, 'invalid_request_error', (http.code ?? 'bad_request').toLowerCase(), http.message ?? 'bad request');
  }
  return new ApiError(500, 'server_error', 'internal_error', 'internal server error; see the server log');
}
