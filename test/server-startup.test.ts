import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertOneLineError, realizar, realizarAsync, STORIES } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'realizar-server-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The packages only `serve` needs; loading them took ~0.13 s of every command's start. */
const SERVER_PACKAGES = ['fastify', 'zod', 'prom-client', '@huggingface/jinja'];

/**
 * A `--import` module whose resolve hook refuses the server's packages: a command that imports one of them at
 * load time, directly or through any module it pulls in, then fails instead of merely starting slower.
 */
function blockServerPackages(): NodeJS.ProcessEnv {
  const hooks = `const blocked = ${JSON.stringify(SERVER_PACKAGES)};
export async function resolve(specifier, context, next) {
  if (blocked.some((p) => specifier === p || specifier.startsWith(p + '/'))) throw new Error('blocked package ' + specifier);
  return next(specifier, context);
}`;
  const hooksFile = join(dir, 'block-hooks.mjs');
  const registerFile = join(dir, 'block.mjs');
  writeFileSync(hooksFile, hooks);
  writeFileSync(registerFile, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooksFile).href)});\n`);
  const inherited = process.env.NODE_OPTIONS ?? '';
  return { ...process.env, NODE_OPTIONS: `${inherited} --import ${JSON.stringify(pathToFileURL(registerFile).href)}`.trim() };
}

test('commands other than serve start without loading the server packages; serve --help stays complete', () => {
  const env = blockServerPackages();
  const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;

  // The control: serve itself needs them, so the block must make it fail, or the cases below prove nothing.
  const serve = realizar(['serve', '--demo', '--port', '0'], { env });
  assert.equal(serve.status, 1, serve.stderr);
  assert.match(serve.stderr, /blocked package (fastify|zod|prom-client|@huggingface\/jinja)/);
  assert.doesNotMatch(serve.stderr, /listening on/);

  const v = realizar(['--version'], { env });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout, `${version}\n`);

  const info = realizar(['info', STORIES], { env });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /llama/);

  const tokens = realizar(['tokenize', '-m', STORIES, 'Once upon a time'], { env });
  assert.equal(tokens.status, 0, tokens.stderr);

  const help = realizar(['serve', '--help'], { env });
  assert.equal(help.status, 0, help.stderr);
  for (const option of ['--model', '--demo', '--host', '--port', '--parallel', '--queue', '--api-key', '--model-alias', '--chat-template', '--log-format', '--cors-origin', '--no-cors', '--ctx', '--backend', '--threads', '--quantize']) {
    assert.ok(help.stdout.includes(option), `serve --help lacks ${option}`);
  }
});

test('serve refuses a model path that is missing or not a file or folder before it listens', () => {
  const missing = join(dir, 'no-such-model.gguf');
  const r = realizar(['serve', '-m', missing, '--port', '0']);
  assertOneLineError(r, /cannot open model .*no-such-model\.gguf: no such file or directory.*\(ENOENT\)/, 'missing model');
  assert.doesNotMatch(r.stderr, /listening/);
  // A character device can be opened but holds no model (a FIFO would even block the read).
  assertOneLineError(realizar(['serve', '-m', '/dev/null', '--port', '0']), /\/dev\/null is neither a file nor a folder/, 'device as model');
});

test('serve refuses a --chat-template that is no built-in, no readable file, or no Jinja before it listens', () => {
  const broken = join(dir, 'broken.jinja');
  writeFileSync(broken, '{% for message in messages %}{{ message.content }}');
  const cases: Array<[string, RegExp]> = [
    ['no-such-format', /--chat-template 'no-such-format' is neither a built-in \(chatml, .*\) nor a readable file/],
    [broken, /chat template '.*broken\.jinja' does not parse/],
  ];
  for (const [template, message] of cases) {
    const r = realizar(['serve', '--demo', '--port', '0', '--chat-template', template]);
    assertOneLineError(r, message, template);
  }
});

test('serve accepts a Hugging Face folder as the model path and listens before loading it', async () => {
  const child = realizarAsync(['serve', '-m', '../shared/hf/llama-tiny-hf', '--port', '0']);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const listening = new Promise<boolean>((resolve) => {
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (/listening on http:\/\/127\.0\.0\.1:\d+ .*loading \.\.\/shared\/hf\/llama-tiny-hf/.test(stderr)) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    assert.ok(await listening, stderr);
  } finally {
    clearTimeout(timer);
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
});
