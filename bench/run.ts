// `npm run bench`: realizar against llama.cpp (node-llama-cpp, same file, same threads, same run) on
// TinyLlama-1.1B-shaped random-weight models, plus the kernel micro-benchmark. Writes results.md,
// results.json and chart.svg into the output folder (default ~/.cache/realizar-bench/results).
//
//   node dist/bench/run.js [--types q4_0,q4_k,q8_0,f16] [--threads 2] [--cap-ms 20000] [--ctx 1024]
//                          [--engines realizar,llama.cpp] [--no-kernels] [--kernels-only] [--out DIR]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineResult } from './engine.js';
import { kernelBenchmark } from './kernels.js';
import { markdown, svgChart, type BenchReport, type ModelResult } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const SYNTH = join(repo, '..', 'shared', 'tools', 'synth-gguf.mjs');
const VOCAB = join(repo, '..', 'shared', 'vocab', 'ggml-vocab-llama-spm.gguf');
/** TinyLlama 1.1B: 22 layers, keys and values of 4 KV heads of 64, in f16 (both engines' default KV type). */
const KV_BYTES_PER_TOKEN = 22 * 2 * 4 * 64 * 2;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const has = (name: string): boolean => process.argv.includes(`--${name}`);
const say = (s: string): void => void process.stderr.write(`${s}\n`);

/** The synthetic model of `type`, written by ../shared/tools/synth-gguf.mjs into the cache the first time. */
function ensureModel(cache: string, type: string): string {
  const file = join(cache, `tinyllama-${type}.gguf`);
  if (!existsSync(file)) {
    say(`generating ${file} (TinyLlama-1.1B shape, random ${type} weights)...`);
    execFileSync(process.execPath, [SYNTH, '--shape', 'tinyllama', '--type', type, '--vocab', VOCAB, '--out', `${file}.part`], { stdio: ['ignore', 'ignore', 'inherit'] });
    renameSync(`${file}.part`, file);
  }
  return file;
}

/** Runs one engine on one file in a child process (so its peak RSS is its own) and returns its result line. */
function runEngine(engine: string, file: string, threads: number, capMs: number, ctx: number): Promise<EngineResult | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, 'engine.js'), '--engine', engine, '--model', file, '--threads', String(threads), '--cap-ms', String(capMs), '--ctx', String(ctx)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || line === undefined || line === '') {
        say(`  [${engine}] failed (exit ${code})`);
        resolve(undefined);
        return;
      }
      resolve(JSON.parse(line) as EngineResult);
    });
  });
}

async function main(): Promise<void> {
  const cache = join(homedir(), '.cache', 'realizar-bench');
  const outDir = flag('out', join(cache, 'results'));
  const types = flag('types', 'q4_0,q4_k,q8_0,f16').split(',');
  const threads = Number(flag('threads', '2'));
  const capMs = Number(flag('cap-ms', '20000'));
  const ctx = Number(flag('ctx', '1024'));
  const engines = flag('engines', 'realizar,llama.cpp').split(',');
  mkdirSync(cache, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  say(`realizar benchmark: ${threads} threads, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (a busy machine makes every number noisy)`);

  const models: ModelResult[] = [];
  if (!has('kernels-only')) {
    for (const type of types) {
      const file = ensureModel(cache, type);
      say(`\n${type}: ${file} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
      const result: { realizar?: EngineResult; llamaCpp?: EngineResult } = {};
      // Alternate which engine goes first, so neither always meets a warmer page cache.
      const order = models.length % 2 === 0 ? engines : [...engines].reverse();
      for (const engine of order) {
        const r = await runEngine(engine, file, threads, capMs, ctx);
        if (r === undefined) continue;
        if (engine === 'realizar') result.realizar = r;
        else result.llamaCpp = r;
      }
      models.push({ model: `tinyllama-${type}`, file, fileBytes: statSync(file).size, kvBytes: KV_BYTES_PER_TOKEN * ctx, ...result });
      write(outDir, { ...header(threads, ctx), models }); // what is measured so far survives an interrupted run
    }
  }
  const kernels = has('no-kernels') ? undefined : (say('\nkernel micro-benchmark'), await kernelBenchmark([1, threads], capMs, (s) => say(`  ${s}`)));
  const md = write(outDir, { ...header(threads, ctx), models, ...(kernels === undefined ? {} : { kernels }) });
  process.stdout.write(`\n${md}\nwritten: ${join(outDir, 'results.md')}, results.json, chart.svg\n`);
}

function header(threads: number, ctx: number): Omit<BenchReport, 'models' | 'kernels'> {
  return { date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`, node: process.versions.node, threads, ctx, loadAverage: loadavg() };
}

/** Writes results.json, results.md and chart.svg; returns the Markdown. */
function write(outDir: string, report: BenchReport): string {
  const md = markdown(report);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(join(outDir, 'results.md'), md);
  writeFileSync(join(outDir, 'chart.svg'), svgChart(report));
  return md;
}

await main();
