import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { RealizarError } from '../errors.js';
import { registerCommands } from './commands/index.js';

/**
 * The installed package's version, read from its package.json (dist/src/cli/ -> the package root): npm sets
 * npm_package_version to the version of whatever project runs `npx realizar`, not ours.
 */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Builds the `realizar` program; each subcommand lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('realizar')
    .description('Run language models locally: GGUF and Hugging Face models, quantization, an OpenAI-compatible server.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * A reader that goes away (`realizar run ... | head`) ends the command quietly, as it ends `cat`; without this
 * handler Node reports the failed write as an unhandled 'error' event, with a stack trace.
 */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`realizar: cannot write to stdout: ${e.code ?? e.message}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 1);
  });
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedStdout();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed help or the usage error.
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof RealizarError) {
      process.stderr.write(`realizar: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
