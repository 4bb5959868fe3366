import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RealizarError } from '../src/errors.js';
import { loadTokenizer } from '../src/tokenizer/index.js';
import { tokenizerFromSentencePiece } from '../src/tokenizer/sentencepiece-model.js';
import { tempDir } from './gguf-bytes.js';

const M = '../shared/tokenizers/mistral';
const MODELS: Record<string, string> = {
  v1: `${M}/tokenizer.model.v1`,
  v2: `${M}/mistral_instruct_tokenizer_240216.model.v2`,
  v3: `${M}/mistral_instruct_tokenizer_240323.model.v3`,
};

interface Message {
  role: string;
  content: string;
}

/**
 * The conversation as mistral-common lays it out without tools: every turn is encoded on its own, so each
 * starts with the SentencePiece prefix space; v1 spells [INST] as text around the user turn (one string here,
 * with the space that separate encoding gives the reply), v2/v3 have [INST]/[/INST] control tokens, after
 * which the prefix space comes by itself; assistant turns end with </s>.
 */
function render(version: string, messages: Message[]): string {
  return (
    '<s>' +
    messages
      .map((m) =>
        m.role === 'user' ? (version === 'v1' ? `[INST] ${m.content} [/INST]` : `[INST]${m.content}[/INST]`) : `${version === 'v1' ? ' ' : ''}${m.content}</s>`,
      )
      .join('')
  );
}

for (const [version, path] of Object.entries(MODELS)) {
  test(`Mistral ${version} SentencePiece model: sample token ids spell the sample texts; the tool-less chat encodes exactly`, () => {
    const tok = loadTokenizer(path);
    const samples = readdirSync(`${M}/data/samples`).filter((s) => existsSync(`${M}/data/samples/${s}/tokens_${version}.json`));
    assert.ok(samples.length >= 1, `no samples for ${version}`);
    for (const s of samples) {
      const ids: number[] = JSON.parse(readFileSync(`${M}/data/samples/${s}/tokens_${version}.json`, 'utf8')).tokens;
      const text = readFileSync(`${M}/data/samples/${s}/text_${version}.txt`, 'utf8').replace(/\n$/, '');
      // One sample file writes spaces where the others write U+2581; compare with both as spaces.
      assert.equal(ids.map((id) => tok.tokenText(id)).join('').replaceAll('▁', ' '), text.replaceAll('▁', ' '), `${version} ${s}`);
    }
    const sample = JSON.parse(readFileSync(`${M}/data/samples/no_tools/sample.json`, 'utf8'));
    const expected: number[] = JSON.parse(readFileSync(`${M}/data/samples/no_tools/tokens_${version}.json`, 'utf8')).tokens;
    // The final user turn is the prompt: no assistant reply follows it.
    assert.deepEqual(tok.encode(render(version, sample.messages), { addBos: false, parseSpecial: true }), expected);
  });
}

test('a file that is not a SentencePiece model is refused', () => {
  const dir = tempDir('sentencepiece');
  const junk = join(dir, 'junk.model');
  writeFileSync(junk, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  assert.throws(() => tokenizerFromSentencePiece(junk), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_FILE');
  const empty = join(dir, 'empty.model');
  writeFileSync(empty, Buffer.alloc(0));
  assert.throws(() => tokenizerFromSentencePiece(empty), (e: unknown) => e instanceof RealizarError && /no pieces/.test(e.message));
});
