import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { fail } from '../../errors.js';
import { loadModel, type LoadOptions, type Model } from '../../model/load.js';
import type { GenerateOptions } from '../../generate/types.js';

export interface BackendFlags {
  ctx?: number;
  backend?: string;
  threads?: number;
  quantize?: string;
}

/** Parses a numeric flag, failing with the flag's name on anything that is not a number. */
export function numberFlag(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) fail('BAD_ARGUMENT', `${flag} expects a number, got '${value}'`);
    return n;
  };
}

/** The flags every command that loads a model shares. */
export function addBackendFlags(cmd: Command): Command {
  return cmd
    .option('-c, --ctx <n>', 'context length in tokens (default: the model\'s, at most 4096)', numberFlag('--ctx'))
    .option('--backend <name>', 'kernel backend: wasm (SIMD, threads) or js (reference)', 'wasm')
    .option('-t, --threads <n>', 'threads for the wasm backend (default: all cores)', numberFlag('--threads'))
    .option('--quantize <type>', 'quantize F32/F16/BF16 weight matrices as they load (q8_0, q4_0, q4_k, q6_k, ...) to use less memory');
}

/** Loads a model, with a progress bar on stderr when it is a terminal. */
export async function loadWithProgress(path: string, flags: BackendFlags, contextLength = flags.ctx): Promise<Model> {
  const options: LoadOptions = { contextLength, backend: flags.backend, threads: flags.threads, quantize: flags.quantize };
  if (!process.stderr.isTTY) return loadModel(path, options);
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'loading [{bar}] {percentage}% | {value}/{total} MiB', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const mib = (n: number): number => Math.round(n / (1 << 20));
  try {
    return await loadModel(path, {
      ...options,
      onProgress: (loaded, total) => {
        if (!started) bar.start(mib(total), 0);
        started = true;
        bar.update(mib(loaded));
      },
    });
  } finally {
    if (started) bar.stop();
  }
}

interface RunFlags extends BackendFlags {
  model: string;
  prompt: string;
  nPredict: number;
  temp: number;
  topK: number;
  topP: number;
  minP: number;
  typicalP: number;
  repeatPenalty: number;
  repeatLastN: number;
  presencePenalty: number;
  frequencyPenalty: number;
  seed?: number;
  stop?: string[];
}

function rate(tokens: number, ms: number): string {
  return ms > 0 ? (tokens / (ms / 1000)).toFixed(2) : '-';
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('Generate text from a prompt, streamed to stdout; speeds are printed to stderr')
    .requiredOption('-m, --model <path>', 'a .gguf file or a Hugging Face model folder')
    .option('-p, --prompt <text>', 'the prompt', '')
    .option('-n, --n-predict <n>', 'tokens to generate; -1 = until end of text or the context is full', numberFlag('--n-predict'), 128)
    .option('--temp <t>', 'temperature; 0 = greedy', numberFlag('--temp'), 0.8)
    .option('--top-k <k>', 'keep the k most likely tokens; 0 = off', numberFlag('--top-k'), 40)
    .option('--top-p <p>', 'nucleus sampling; 1 = off', numberFlag('--top-p'), 0.95)
    .option('--min-p <p>', 'drop tokens under p × the top probability; 0 = off', numberFlag('--min-p'), 0.05)
    .option('--typical-p <p>', 'locally typical sampling; 1 = off', numberFlag('--typical-p'), 1)
    .option('--repeat-penalty <x>', 'penalize repeated tokens; 1 = off', numberFlag('--repeat-penalty'), 1)
    .option('--repeat-last-n <n>', 'tokens the penalties look back at; -1 = all', numberFlag('--repeat-last-n'), 64)
    .option('--presence-penalty <x>', 'subtracted once from tokens already present', numberFlag('--presence-penalty'), 0)
    .option('--frequency-penalty <x>', 'subtracted per occurrence', numberFlag('--frequency-penalty'), 0)
    .option('-s, --seed <n>', 'random seed, for a reproducible run (default: random)', numberFlag('--seed'))
    .addOption(new Option('--stop <text...>', 'stop before any of these strings'));
  addBackendFlags(cmd).action(async (flags: RunFlags) => {
    const nPredict = flags.nPredict;
    if (!Number.isInteger(nPredict) || nPredict < -1) fail('BAD_ARGUMENT', `--n-predict must be an integer >= -1, got ${nPredict}`);
    const model = await loadWithProgress(flags.model, flags);
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const options: GenerateOptions = {
        maxTokens: nPredict === -1 ? undefined : nPredict,
        temperature: flags.temp,
        topK: flags.topK,
        topP: flags.topP,
        minP: flags.minP,
        typicalP: flags.typicalP,
        repeatPenalty: flags.repeatPenalty,
        repeatLastN: flags.repeatLastN,
        presencePenalty: flags.presencePenalty,
        frequencyPenalty: flags.frequencyPenalty,
        seed: flags.seed,
        stop: flags.stop,
        signal: abort.signal,
      };
      const stream = model.generate(flags.prompt, options);
      // Echo the prompt as llama.cpp does, so stdout reads as the whole text.
      process.stdout.write(flags.prompt);
      let step = await stream.next();
      while (step.done !== true) {
        process.stdout.write(step.value.text);
        step = await stream.next();
      }
      const r = step.value;
      process.stdout.write('\n');
      process.stderr.write(
        `prompt: ${r.promptTokens} tokens in ${r.promptMs.toFixed(1)} ms (${rate(r.promptTokens, r.promptMs)} tok/s)\n` +
          `generation: ${r.completionTokens} tokens in ${r.generateMs.toFixed(1)} ms (${rate(r.completionTokens, r.generateMs)} tok/s), finished: ${r.finishReason}\n`,
      );
    } finally {
      process.off('SIGINT', onSigint);
      model.dispose();
    }
  });
}
