import type { Command } from 'commander';
import { register as registerConvert } from './convert.js';
import { register as registerInfo } from './info.js';
import { register as registerPerplexity } from './perplexity.js';
import { register as registerQuantize } from './quantize.js';
import { register as registerRun } from './run.js';
import { register as registerServe } from './serve.js';
import { register as registerTokenize } from './tokenize.js';

/** Each subcommand module exports a `register(program)`; the list here is the CLI's table of contents. */
export function registerCommands(program: Command): void {
  registerConvert(program);
  registerInfo(program);
  registerPerplexity(program);
  registerQuantize(program);
  registerRun(program);
  registerServe(program);
  registerTokenize(program);
}
