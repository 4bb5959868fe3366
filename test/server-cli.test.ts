import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const CLI = 'bin/realizar.js';

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
}

/** Starts `realizar serve ...` and resolves once it says the model is ready. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      const url = /listening on (http:\/\/\S+) /.exec(stderr)?.[1];
      if (url && stderr.includes('model ready')) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    return { child, url: await ready, stderr: () => stderr };
  } finally {
    clearTimeout(timer);
  }
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

test('serve --demo answers the README quick-start request, logs it, and exits 0 on SIGTERM', async () => {
  const { child, url, stderr } = await serve(['--demo']);
  try {
    // The README's curl: `curl -X POST localhost:PORT/generate -d '{"prompt": "Once upon a time", "max_tokens": 20}'`.
    const response = await fetch(`${url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"prompt": "Once upon a time", "max_tokens": 20}',
    });
    assert.equal(response.status, 200);
    const json = (await response.json()) as { text: string; tokens: number[] };
    assert.equal(json.tokens.length, 20);
    assert.ok(json.text.length > 20);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    // The line is written when the response has closed, which can be just after the client has read it.
    const logged = /POST \/generate 200 tokens=5\+20 [\d.]+ms/;
    for (let i = 0; i < 100 && !logged.test(stderr()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(stderr(), logged);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exitCode(child), 0);
});

test('SIGINT during a streamed generation cancels it and exits 0; --log-format json logs JSON lines', async () => {
  const { child, url, stderr } = await serve(['--model', 'assets/stories260K.gguf', '--ctx', '4096', '--log-format', 'json', '--model-alias', 'tiny']);
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', prompt: 'Once upon a time', max_tokens: 4000, temperature: 0, logit_bias: { 2: -100 }, stream: true }),
  });
  const reader = response.body!.getReader();
  assert.ok(!(await reader.read()).done);
  const began = performance.now();
  child.kill('SIGINT');
  assert.equal(await exitCode(child), 0);
  assert.ok(performance.now() - began < 3000, 'shutdown waited for the generation to finish');
  await reader.cancel().catch(() => {});
  const lines = stderr().split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length >= 1, stderr());
  const line = JSON.parse(lines.at(-1)!);
  assert.equal(line.path, '/v1/completions');
  assert.ok(line.completion_tokens < 4000);
});

test('--cors-origin admits the listed browser origins only; --no-cors sends no CORS headers', async () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
  const listed = await serve(['--demo', '--cors-origin', 'https://a.example, https://b.example']);
  try {
    const allowed = await preflight(listed.url, 'https://b.example');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://b.example');
    assert.equal((await preflight(listed.url, 'https://c.example')).headers.get('access-control-allow-origin'), null);
  } finally {
    listed.child.kill('SIGTERM');
    await exitCode(listed.child);
  }
  const off = await serve(['--demo', '--no-cors']);
  try {
    const health = await fetch(`${off.url}/health`, { headers: { origin: 'https://a.example' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('access-control-allow-origin'), null);
  } finally {
    off.child.kill('SIGTERM');
    await exitCode(off.child);
  }
});

test('serve refuses a missing model or bad options with one line on stderr and exit 1', () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve'], /no model/],
    [['serve', '--model', '../shared/models/no-such.gguf', '--port', '0'], /no-such\.gguf/],
    [['serve', '--demo', '--port', 'eighty'], /--port/],
    [['serve', '--demo', '--log-format', 'xml'], /--log-format/],
    [['serve', '--demo', '--port', '0', '--chat-template', 'no-such-format'], /no-such-format/],
  ];
  for (const [args, message] of cases) {
    const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 1, `${args.join(' ')}: ${run.stderr}`);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('realizar: ') && !/listening on/.test(l));
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0]!, message);
  }
});

test('serve --help describes every option', () => {
  const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const option of ['--model', '--demo', '--host', '--port', '--ctx', '--parallel', '--threads', '--api-key', '--model-alias', '--chat-template', '--log-format']) {
    assert.ok(help.stdout.includes(option), option);
  }
});

test('with a seed, the API completes a prompt exactly as `realizar run` prints it (greedy and sampled)', async () => {
  const { child, url } = await serve(['--demo']);
  try {
    const prompt = 'Once upon a time';
    for (const [temperature, seed] of [[0, 1], [0.8, 1234]] as const) {
      const run = spawnSync(process.execPath, [CLI, 'run', '-m', 'assets/stories260K.gguf', '-p', prompt, '-n', '40', '--temp', String(temperature), '--seed', String(seed)], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, run.stderr);
      const response = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt, max_tokens: 40, temperature, seed }),
      });
      const completion = (await response.json()) as { choices: Array<{ text: string }> };
      // `run` echoes the prompt before the generated text and ends the line after it.
      assert.equal(prompt + completion.choices[0]!.text + '\n', run.stdout, `temperature ${temperature}`);
      assert.ok(completion.choices[0]!.text.length > 40);
    }
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exitCode(child), 0);
});
