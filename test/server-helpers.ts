import { startServer, type RunningServer, type ServerOptions } from '../src/server/app.js';

/** The demo model the server ships (a byte-identical copy of ../shared/models/stories260K.gguf). */
export const DEMO_MODEL = 'assets/stories260K.gguf';
/** stories260K's end-of-sequence token: banning it makes a generation run to max_tokens. */
export const EOS = 2;

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  /** Request log lines so far. */
  readonly log: string[];
  close(): Promise<void>;
}

/** A real server on a free loopback port, its model loaded. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const log: string[] = [];
  const server = await startServer({
    modelPath: DEMO_MODEL,
    host: '127.0.0.1',
    port: 0,
    log: (line) => log.push(line),
    ...options,
  });
  await server.ready;
  return { server, url: server.url, log, close: () => server.close() };
}

export async function postJSON(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
}

/** The value of an unlabelled sample, or of the sample with exactly these labels, in Prometheus text. */
export function metricValue(text: string, name: string, labels = ''): number {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

/** Asserts the OpenAI error shape and returns the error object. */
export function openAIError(json: any): { message: string; type: string; param: string | null; code: string } {
  if (typeof json?.error?.message !== 'string' || typeof json.error.type !== 'string' || !('param' in json.error) || typeof json.error.code !== 'string') {
    throw new Error(`not an OpenAI error body: ${JSON.stringify(json)}`);
  }
  return json.error;
}

/**
 * The events of a server-sent-event body, checked to be in OpenAI's framing (`data: <payload>` blocks
 * separated by a blank line, the last one `data: [DONE]`); returns the JSON payloads before [DONE].
 */
export function sseEvents(body: string): any[] {
  if (!body.endsWith('\n\n')) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(body.slice(-40))}`);
  const blocks = body.slice(0, -2).split('\n\n');
  if (!blocks.every((b) => b.startsWith('data: ') && !b.includes('\n'))) throw new Error(`not OpenAI SSE framing: ${body}`);
  if (blocks.at(-1) !== 'data: [DONE]') throw new Error(`SSE stream does not end with data: [DONE]: ${body}`);
  return blocks.slice(0, -1).map((b) => JSON.parse(b.slice('data: '.length)));
}
