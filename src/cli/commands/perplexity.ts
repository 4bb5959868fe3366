import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fail, systemErrorText } from '../../errors.js';
import { MIN_PERPLEXITY_CONTEXT, perplexity } from '../../generate/perplexity.js';
import { addBackendFlags, loadWithProgress, type BackendFlags } from './run.js';

/** llama-perplexity's default chunk size; scores are only comparable between runs with the same one. */
const DEFAULT_CHUNK = 512;

interface PerplexityFlags extends BackendFlags {
  model: string;
  file: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('perplexity')
    .description("Measure a model's perplexity on a text file, chunked and scored as llama-perplexity does")
    .requiredOption('-m, --model <path>', 'a .gguf file or a Hugging Face model folder')
    .requiredOption('-f, --file <path>', `the text to score (at least two chunks' worth of tokens)`);
  // Here the context is the chunk size, with llama-perplexity's default rather than the model's context.
  addBackendFlags(cmd, `tokens per chunk (default: ${DEFAULT_CHUNK}, as llama-perplexity)`).action(async (flags: PerplexityFlags) => {
    let text: string;
    try {
      text = readFileSync(flags.file, 'utf8');
    } catch (e) {
      return fail('MISSING', `cannot read ${flags.file}: ${systemErrorText(e)}`);
    }
    const nCtx = flags.ctx ?? DEFAULT_CHUNK;
    if (nCtx < MIN_PERPLEXITY_CONTEXT) fail('BAD_ARGUMENT', `--ctx for perplexity must be at least ${MIN_PERPLEXITY_CONTEXT}, got ${nCtx}`);
    const model = await loadWithProgress(flags.model, flags, nCtx);
    try {
      process.stderr.write(`perplexity: scoring ${flags.file} in chunks of ${nCtx} tokens\n`);
      const r = await perplexity(model, text, nCtx, (chunk, _of, running) => process.stdout.write(`[${chunk}]${running.toFixed(4)},`));
      process.stdout.write(`\nFinal estimate: PPL = ${r.perplexity.toFixed(4)} +/- ${r.stderr.toFixed(5)}\n`);
      process.stderr.write(`perplexity: ${r.tokens} tokens, ${r.chunks} chunks of ${nCtx}\n`);
    } finally {
      model.dispose();
    }
  });
}
