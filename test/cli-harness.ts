import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { buildProgram } from '../src/cli/main.js';

/** The built CLI as `npx realizar` runs it (dist/test/ -> bin/ of the repo). */
export const BIN = new URL('../../bin/realizar.js', import.meta.url).pathname;
export const STORIES = '../shared/models/stories260K.gguf';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function realizar(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: options.env ?? process.env, input: options.input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function realizarAsync(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args]);
}

/** A deliberate failure as the CLI must report it: exit 1, nothing on stdout, one line on stderr, no stack trace. */
export function assertOneLineError(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.status, 1, `${what}: exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', `${what}: stdout`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^realizar: /, what);
  assert.match(lines[0]!, pattern, what);
}

/**
 * Replaces process.stdout/stderr.write while `f` runs, collecting the text the CLI writes (always strings).
 * Byte chunks pass through: under `node --test` they are the runner's own serialized reports on stdout.
 */
export async function captureOutput<T>(f: () => Promise<T>): Promise<{ stdout: string; stderr: string; value?: T; error?: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { out: process.stdout.write, err: process.stderr.write };
  const collect = (into: string[], original: typeof process.stdout.write, stream: NodeJS.WriteStream): typeof process.stdout.write =>
    ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? into.push(chunk) > 0 : original.call(stream, chunk, ...rest))) as typeof process.stdout.write;
  process.stdout.write = collect(out, saved.out, process.stdout);
  process.stderr.write = collect(err, saved.err, process.stderr);
  try {
    const value = await f();
    return { stdout: out.join(''), stderr: err.join(''), value };
  } catch (error) {
    return { stdout: out.join(''), stderr: err.join(''), error };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

/**
 * Runs the CLI's command parser in this process (no Node start-up per case), output captured. What main() adds
 * (one line on stderr, the exit code) is left to the spawned tests; here a refusal is `error`.
 */
export async function realizarInProcess(args: readonly string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  return captureOutput(() => buildProgram().parseAsync(['node', 'realizar', ...args]));
}
