import { Command, CommanderError } from 'commander';
import { RealizarError } from '../errors.js';
import { registerCommands } from './commands/index.js';

/** Builds the `realizar` program; each subcommand lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('realizar')
    .description('Run language models locally: GGUF and Hugging Face models, quantization, an OpenAI-compatible server.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
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
