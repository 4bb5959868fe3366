import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { fail, systemErrorText } from '../../errors.js';
import type { LogFormat } from '../../server/request-log.js';
import { addBackendFlags, loadWithProgress, type BackendFlags } from './run.js';

/** The model `serve --demo` serves: shipped in the package (assets/), so the demo needs no download. */
export const DEMO_MODEL = fileURLToPath(new URL('../../../../assets/stories260K.gguf', import.meta.url));

interface ServeOptions extends BackendFlags {
  model?: string;
  demo?: boolean;
  host: string;
  port: string;
  parallel: string;
  queue?: string;
  apiKey?: string;
  modelAlias?: string;
  chatTemplate?: string;
  logFormat: string;
  corsOrigin: string;
  cors: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Serve a model over HTTP: OpenAI-compatible /v1 API (streaming), /generate, /tokenize, /health, /metrics')
    .option('-m, --model <path>', 'GGUF file (or Hugging Face folder) to serve')
    .option('--demo', 'serve the bundled stories260K demo model (no download)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--parallel <n>', 'generations that run at once', '1')
    .option('--queue <n>', 'requests that may wait for a slot before 429 (default 16 per slot)')
    .option('--api-key <key>', 'require Authorization: Bearer <key> on every API request (/health and /metrics stay open)')
    .option('--model-alias <name>', 'the model\'s name in the API (default: the file name)')
    .option('--chat-template <name|file>', 'chat template: chatml, llama2, llama3, mistral, phi3, alpaca, raw, or a Jinja file (default: the model\'s own)')
    .option('--log-format <format>', 'request log on stderr: text or json', 'text')
    .option('--cors-origin <origins>', 'browser origins allowed to call the API: * or a comma-separated list (https://app.example,http://localhost:3000)', '*')
    .option('--no-cors', 'send no CORS headers: browsers on other origins cannot call the API');
  addBackendFlags(cmd).action(async (options: ServeOptions) => {
    if (options.demo && options.model) fail('BAD_ARGUMENT', 'give --model or --demo, not both');
    const modelPath = options.demo ? DEMO_MODEL : options.model;
    if (modelPath === undefined) fail('BAD_ARGUMENT', 'no model: pass --model <file.gguf>, or --demo for the bundled demo model');
    if (options.logFormat !== 'text' && options.logFormat !== 'json') fail('BAD_ARGUMENT', `--log-format must be text or json, not '${options.logFormat}'`);
    const logFormat: LogFormat = options.logFormat;
    const port = integer('--port', options.port, 0, 65535);
    const parallel = integer('--parallel', options.parallel, 1, 1024);
    const queueSize = options.queue !== undefined ? integer('--queue', options.queue, 0, 1 << 20) : undefined;
    checkModelPath(modelPath);
    // The server's packages (fastify, zod, prom-client, Jinja) take longer to load than every other command needs
    // to start, so only `serve` itself pays for them.
    const { startServer } = await import('../../server/app.js');
    const server = await startServer({
      modelPath,
      host: options.host,
      port,
      parallel,
      ...(queueSize !== undefined ? { queueSize } : {}),
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.modelAlias !== undefined ? { modelAlias: options.modelAlias } : {}),
      ...(options.chatTemplate !== undefined ? { chatTemplate: options.chatTemplate } : {}),
      cors: options.cors ? { origins: options.corsOrigin.split(',').map((o) => o.trim()).filter((o) => o !== '') } : null,
      logFormat,
      log: (line) => process.stderr.write(line + '\n'),
      // The same loading (flags, progress bar on a terminal) as `realizar run`.
      load: (path) => loadWithProgress(path, options),
    });

    let stopped!: () => void;
    const done = new Promise<void>((resolve) => (stopped = resolve));
    const shutdown = (signal: string) => {
      process.stderr.write(`realizar: ${signal}: shutting down\n`);
      void server.close().then(stopped);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    // Only now: a supervisor may signal as soon as it reads this line, and must get a clean shutdown.
    process.stderr.write(`realizar: listening on ${server.url} (OpenAI API under ${server.url}/v1); loading ${modelPath}\n`);

    try {
      await server.ready;
    } catch (err) {
      await server.close();
      throw err;
    }
    process.stderr.write(`realizar: model ready\n`);
    await done;
  });
}

/**
 * The model loads only after the server listens (so that /health can answer 503 meanwhile); a path that cannot be
 * read is known at once, and must fail before anything listens rather than after "listening on".
 */
function checkModelPath(path: string): void {
  let stats: Stats;
  try {
    stats = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (e) {
    return fail('MISSING', `cannot open model ${path}: ${systemErrorText(e)}`);
  }
  if (!stats.isFile() && !stats.isDirectory()) fail('BAD_ARGUMENT', `model ${path} is neither a file nor a folder; pass a .gguf file or a Hugging Face folder`);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) fail('BAD_ARGUMENT', `${flag} must be a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}
