import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';

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
