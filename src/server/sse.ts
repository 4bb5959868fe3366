import { Readable } from 'node:stream';
import { toApiError } from './api-error.js';

/** Headers of a server-sent-event stream; X-Accel-Buffering stops reverse proxies from holding events back. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/**
 * Server-sent events as OpenAI streams them: one `data: <json>` per event, then `data: [DONE]`.
 * An error after the stream has started can no longer change the status, so it becomes an error event.
 */
export function sseStream(events: AsyncIterable<unknown>): Readable {
  async function* lines(): AsyncGenerator<string> {
    try {
      for await (const event of events) yield `data: ${JSON.stringify(event)}\n\n`;
    } catch (err) {
      yield `data: ${JSON.stringify(toApiError(err).body())}\n\n`;
    }
    yield 'data: [DONE]\n\n';
  }
  return Readable.from(lines(), { objectMode: false });
}
