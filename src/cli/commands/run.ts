import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { fail, systemErrorText } from '../../errors.js';
import type { KvType } from '../../backend/backend.js';
import { loadModel, type LoadOptions, type Model } from '../../model/load.js';
import { randomSeed } from '../../generate/rng.js';
import type { GenerateOptions } from '../../generate/types.js';
import { numberFlag } from '../flags.js';
import { modelPath } from '../model-argument.js';

export interface BackendFlags {
  ctx?: number;
  backend?: string;
  threads?: number;
  quantize?: string;
  kvType?: KvType;
}

/** The flags every command that loads a model shares. */
export function addBackendFlags(cmd: Command, ctxHelp = "context length in tokens (default: the model's, at most 4096)"): Command {
  return cmd
    .option('-c, --ctx <n>', ctxHelp, numberFlag('--ctx', { integer: true, min: 1 }))
    .addOption(new Option('--backend <name>', 'kernel backend: wasm (SIMD, threads) or js (reference)').choices(['wasm', 'js']).default('wasm'))
    .option('-t, --threads <n>', 'threads for the wasm backend (default: all cores)', numberFlag('--threads', { integer: true, min: 1 }))
    .option('--quantize <type>', 'quantize F32/F16/BF16 weight matrices as they load (q8_0, q4_0, q4_k, q6_k, ...) to use less memory')
    .addOption(new Option('--kv-type <type>', 'KV cache type (default: f16 on wasm, as llama.cpp; f32 on js)').choices(['f16', 'f32']));
}

/**
 * Loads a model, with a progress bar on stderr when it is a terminal, and a warning (as llama.cpp gives) when the
 * context asked for is longer than the one the model was trained on: positions past it are out of distribution.
 */
export async function loadWithProgress(path: string, flags: BackendFlags, contextLength = flags.ctx): Promise<Model> {
  const model = await loadWithBar(path, { contextLength, backend: flags.backend, threads: flags.threads, quantize: flags.quantize, kvType: flags.kvType });
  const trained = model.config.contextLength;
  if (model.contextLength > trained) {
    process.stderr.write(`realizar: warning: a context of ${model.contextLength} tokens is longer than the model's trained context (${trained}); output past ${trained} tokens may degrade\n`);
  }
  return model;
}

async function loadWithBar(path: string, options: LoadOptions): Promise<Model> {
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
  model?: string;
  prompt?: string;
  file?: string;
  displayPrompt: boolean;
  parseSpecial?: boolean;
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
  seed: number;
  stop?: string[];
}

/** llama.cpp's --seed convention: -1 (the default) asks for a random seed. */
const RANDOM_SEED = -1;

function rate(tokens: number, ms: number): string {
  return ms > 0 ? (tokens / (ms / 1000)).toFixed(2) : '-';
}

/** The prompt: the words after the model, -p's text, or a file's (-f, as llama.cpp takes long prompts); one of them. */
function promptOf(words: readonly string[], flags: RunFlags): string {
  const given = [words.length > 0, flags.prompt !== undefined, flags.file !== undefined].filter(Boolean).length;
  if (given > 1) fail('BAD_ARGUMENT', 'give the prompt one way: after the model, with -p, or with -f');
  if (words.length > 0) return words.join(' ');
  if (flags.file === undefined) return flags.prompt ?? '';
  try {
    // '-' is standard input: `echo "Once upon a time" | realizar run model.gguf -f -`.
    return readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8');
  } catch (e) {
    return fail('MISSING', `cannot read prompt file ${flags.file}: ${systemErrorText(e)}`);
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('Generate text from a prompt, streamed to stdout; speeds are printed to stderr')
    .argument('[model]', 'a .gguf file or a Hugging Face model folder (or -m)')
    .argument('[prompt...]', 'the prompt (or -p or -f); several arguments are joined with spaces')
    .option('-m, --model <path>', 'a .gguf file or a Hugging Face model folder')
    .option('-p, --prompt <text>', 'the prompt (default: empty, generation starts from BOS)')
    .option('-f, --file <path>', 'read the prompt from a file (- for standard input)')
    .option('--no-display-prompt', 'print only the generated text, not the prompt before it')
    .option('--parse-special', 'match special tokens written in the prompt (e.g. <|im_start|>) as single tokens')
    .option('-n, --n-predict <n>', 'tokens to generate; -1 = until end of text or the context is full', numberFlag('--n-predict', { integer: true, min: -1 }), 128)
    .option('--temp <t>', 'temperature; 0 = greedy', numberFlag('--temp', { min: 0 }), 0.8)
    .option('--top-k <k>', 'keep the k most likely tokens; 0 = off', numberFlag('--top-k', { integer: true, min: 0 }), 40)
    .option('--top-p <p>', 'nucleus sampling; 1 = off', numberFlag('--top-p', { min: 0, max: 1 }), 0.95)
    .option('--min-p <p>', 'drop tokens under p × the top probability; 0 = off', numberFlag('--min-p', { min: 0, max: 1 }), 0.05)
    .option('--typical-p <p>', 'locally typical sampling; 1 = off', numberFlag('--typical-p', { min: 0, max: 1 }), 1)
    .option('--repeat-penalty <x>', 'penalize repeated tokens; 1 = off', numberFlag('--repeat-penalty', { above: 0 }), 1)
    .option('--repeat-last-n <n>', 'tokens the penalties look back at; -1 = all', numberFlag('--repeat-last-n', { integer: true, min: -1 }), 64)
    .option('--presence-penalty <x>', 'subtracted once from tokens already present', numberFlag('--presence-penalty'), 0)
    .option('--frequency-penalty <x>', 'subtracted per occurrence', numberFlag('--frequency-penalty'), 0)
    .option(
      '-s, --seed <n>',
      'random seed, for a reproducible run; -1 = random (the seed used is printed to stderr)',
      numberFlag('--seed', { integer: true, min: RANDOM_SEED, max: Number.MAX_SAFE_INTEGER }),
      RANDOM_SEED,
    )
    // Repeatable rather than variadic: a variadic flag would swallow a prompt given after it as more stop strings.
    .option('--stop <text>', 'stop before this string (repeat for several)', (text: string, stops: string[] = []) => [...stops, text]);
  addBackendFlags(cmd).action(async (first: string | undefined, rest: string[], flags: RunFlags) => {
    // With -m, every argument is prompt text (`run -m model.gguf "Hello"`).
    const withFlag = flags.model !== undefined;
    const path = modelPath(withFlag ? undefined : first, flags.model);
    const prompt = promptOf(withFlag && first !== undefined ? [first, ...rest] : rest, flags);
    const seed = flags.seed === RANDOM_SEED ? randomSeed() : flags.seed;
    const model = await loadWithProgress(path, flags);
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    try {
      const options: GenerateOptions = {
        maxTokens: flags.nPredict === -1 ? undefined : flags.nPredict,
        temperature: flags.temp,
        topK: flags.topK,
        topP: flags.topP,
        minP: flags.minP,
        typicalP: flags.typicalP,
        repeatPenalty: flags.repeatPenalty,
        repeatLastN: flags.repeatLastN,
        presencePenalty: flags.presencePenalty,
        frequencyPenalty: flags.frequencyPenalty,
        seed,
        parseSpecial: flags.parseSpecial === true,
        stop: flags.stop,
        signal: abort.signal,
      };
      const stream = model.generate(prompt, options);
      let step = await stream.next();
      // Ctrl-C stops generation between tokens and reports speeds. Not before: a prompt slice is one synchronous
      // computation (seconds on a big model) that no JavaScript handler can interrupt, so until the first token
      // Ctrl-C keeps its default effect of ending the process at once. A second Ctrl-C also ends it at once.
      process.once('SIGINT', onSigint);
      // Echo the prompt as llama.cpp does, so stdout reads as the whole text; only once generation has started,
      // so that a run that fails (a KV cache too big for memory) leaves stdout empty.
      if (flags.displayPrompt) process.stdout.write(prompt);
      while (step.done !== true) {
        process.stdout.write(step.value.text);
        step = await stream.next();
      }
      const r = step.value;
      process.stdout.write('\n');
      process.stderr.write(
        (flags.temp > 0 ? `seed: ${seed}\n` : '') +
          `prompt: ${r.promptTokens} tokens in ${r.promptMs.toFixed(1)} ms (${rate(r.promptTokens, r.promptMs)} tok/s)\n` +
          `generation: ${r.completionTokens} tokens in ${r.generateMs.toFixed(1)} ms (${rate(r.completionTokens, r.generateMs)} tok/s), finished: ${r.finishReason}\n`,
      );
      // Interrupted is not finished: 130 (128 + SIGINT) as a shell reports a Ctrl-C, so scripts can tell.
      if (r.finishReason === 'abort') process.exitCode = 130;
    } finally {
      process.off('SIGINT', onSigint);
      model.dispose();
    }
  });
}
