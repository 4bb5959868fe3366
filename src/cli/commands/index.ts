import type { Command } from 'commander';

/** Each subcommand module exports a `register(program)`; the list here is the CLI's table of contents. */
export function registerCommands(_program: Command): void {}
