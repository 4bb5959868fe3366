// One engine on one model file, in a process of its own so that its peak RSS is its own: prints one JSON
// line (EngineResult) on stdout, progress on stderr. Run by bench/run.ts.
import type { Token } from 'node-llama-cpp';
import { WasmBackend } from '../src/backend/wasm/backend.js';
import { loadModel, type Model } from '../src/model/load.js';
import { repeat, type Sample } from './stats.js';

export interface EngineResult {
  readonly engine: 'realizar' | 'llama.cpp';
  readonly loadMs: number;
  /** Tokens per second. */
  readonly pp128: Sample;
  readonly pp512: Sample;
  readonly tg128: Sample;
  /** Milliseconds from a 128-token prompt to the first generated token. */
  readonly ttft: Sample;
  /** Peak resident set size, bytes. */
  readonly peakRss: number;
  readonly detail: string;
}

interface Args {
  engine: 'realizar' | 'llama.cpp';
  model: string;
  threads: number;
  capMs: number;
  ctx: number;
}

/** What a benchmark needs from an engine: timings of prompt processing, decoding and first token. */
interface Subject {
  /** Evaluates `tokens` from position 0 on a fresh cache. */
  prompt(tokens: number[]): Promise<void>;
  /** Generates `count` tokens after `prompt`; returns ms from the prompt's start to the first token and ms for the rest. */
  generate(prompt: number[], count: number): Promise<{ firstMs: number; restMs: number }>;
  close(): Promise<void>;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const engine = get('engine');
  const model = get('model');
  if ((engine !== 'realizar' && engine !== 'llama.cpp') || model === undefined) {
    throw new Error('usage: engine.js --engine realizar|llama.cpp --model FILE [--threads N] [--cap-ms MS] [--ctx N]');
  }
  return { engine, model, threads: Number(get('threads') ?? 2), capMs: Number(get('cap-ms') ?? 20000), ctx: Number(get('ctx') ?? 1024) };
}

/** Seeded token ids in the ordinary part of a 32000-token vocabulary (no control tokens). */
function tokens(count: number, seed: number, bos: number): number[] {
  let s = seed;
  const out = [bos];
  while (out.length < count) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push(300 + (s % 31000));
  }
  return out;
}

async function realizar(args: Args): Promise<{ subject: Subject; loadMs: number; detail: string }> {
  const t0 = performance.now();
  const backend = new WasmBackend({ threads: args.threads });
  const model: Model = await loadModel(args.model, { backend, contextLength: args.ctx });
  const loadMs = performance.now() - t0;
  const eos = model.tokenizer.eosId;
  // Random weights could pick end-of-text any time: banned, so that every run decodes the same count.
  const logitBias = new Map(eos === undefined ? [] : [[eos, -Infinity]]);
  return {
    loadMs,
    detail: `wasm ${backend.simd}, ${backend.threads} threads, ${(backend.memoryBytes / 2 ** 20).toFixed(0)} MiB wasm memory`,
    subject: {
      async prompt(ids) {
        model.forward(ids);
      },
      async generate(prompt, count) {
        const t = performance.now();
        let first = 0;
        let n = 0;
        for await (const _ of model.generate(prompt, { temperature: 0, maxTokens: count, logitBias })) {
          if (n++ === 0) first = performance.now();
        }
        if (n !== count) throw new Error(`realizar generated ${n} tokens, asked ${count}`);
        return { firstMs: first - t, restMs: performance.now() - first };
      },
      async close() {
        model.dispose();
      },
    },
  };
}

async function llamaCpp(args: Args): Promise<{ subject: Subject; loadMs: number; detail: string }> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const t0 = performance.now();
  // Never download or compile: the pinned prebuilt CPU binary or nothing.
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: args.ctx, batchSize: 512, threads: args.threads, sequences: 1 });
  const seq = context.getSequence();
  const loadMs = performance.now() - t0;
  return {
    loadMs,
    detail: `node-llama-cpp prebuilt ${llama.buildType}, ${args.threads} threads`,
    subject: {
      async prompt(ids) {
        await seq.clearHistory();
        await seq.evaluateWithoutGeneratingNewTokens(ids as Token[]);
      },
      async generate(prompt, count) {
        await seq.clearHistory();
        const t = performance.now();
        let first = 0;
        let n = 0;
        for await (const _ of seq.evaluate(prompt as Token[], { temperature: 0 })) {
          if (n++ === 0) first = performance.now();
          if (n === count) break;
        }
        return { firstMs: first - t, restMs: performance.now() - first };
      },
      async close() {
        await context.dispose();
        await model.dispose();
        await llama.dispose();
      },
    },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const say = (s: string): void => void process.stderr.write(`  [${args.engine}] ${s}\n`);
  say('loading');
  const { subject, loadMs, detail } = await (args.engine === 'realizar' ? realizar(args) : llamaCpp(args));
  say(`loaded in ${loadMs.toFixed(0)} ms (${detail})`);
  const pp = async (n: number): Promise<Sample> => {
    const ids = tokens(n, n, 1);
    const s = await repeat(async () => {
      const t = performance.now();
      await subject.prompt(ids);
      return (n / (performance.now() - t)) * 1000;
    }, { capMs: args.capMs, minRuns: 2, warmup: n >= 512 ? 0 : 1 });
    say(`pp${n}: ${s.median.toFixed(1)} tok/s (cv ${(s.cv * 100).toFixed(1)}%, ${s.runs} runs)`);
    return s;
  };
  const pp128 = await pp(128);
  const pp512 = await pp(512);
  await subject.generate([1], 9); // warm-up of the decode path, short: a full tg128 run can take a minute
  const tg128 = await repeat(async () => {
    const { restMs } = await subject.generate([1], 129);
    return (128 / restMs) * 1000;
  }, { capMs: args.capMs, minRuns: 2, warmup: 0 });
  say(`tg128: ${tg128.median.toFixed(1)} tok/s (cv ${(tg128.cv * 100).toFixed(1)}%, ${tg128.runs} runs)`);
  const ttft = await repeat(async () => (await subject.generate(tokens(128, 7, 1), 1)).firstMs, { capMs: args.capMs, minRuns: 2, warmup: 0 });
  say(`ttft (128-token prompt): ${ttft.median.toFixed(0)} ms`);
  await subject.close();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const result: EngineResult = { engine: args.engine, loadMs, pp128, pp512, tg128, ttft, peakRss, detail };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
