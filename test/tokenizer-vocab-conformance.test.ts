import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tokenizerFromGGUF } from '../src/tokenizer/gguf.js';
import { loadTokenizer } from '../src/tokenizer/index.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { withGGUF } from './helpers/gguf-file.js';

const VOCAB = '../shared/vocab';

/**
 * llama.cpp's test-tokenizer-0 format: inputs separated by "\n__ggml_vocab_test__\n" (the file ends with one),
 * expected ids one line per case; tokenized with add_special = false, parse_special = false.
 */
function readCases(name: string): { text: string; ids: number[] }[] {
  const inp = readFileSync(`${VOCAB}/ggml-vocab-${name}.gguf.inp`, 'utf8').split('\n__ggml_vocab_test__\n');
  if (inp[inp.length - 1] === '') inp.pop();
  const out = readFileSync(`${VOCAB}/ggml-vocab-${name}.gguf.out`, 'utf8').split('\n');
  if (out[out.length - 1] === '') out.pop();
  assert.equal(inp.length, out.length, `${name}: .inp and .out hold different numbers of cases`);
  return inp.map((text, i) => ({ text, ids: out[i]!.trim() === '' ? [] : out[i]!.trim().split(' ').map(Number) }));
}

/** Runs every case; returns the failing ones as readable lines. */
function failures(tok: Tokenizer, name: string): string[] {
  const bad: string[] = [];
  readCases(name).forEach(({ text, ids }, i) => {
    const got = tok.encode(text, { addBos: false, addEos: false });
    if (got.join(' ') !== ids.join(' ')) bad.push(`#${i} ${JSON.stringify(text)}: expected ${ids.join(' ')}, got ${got.join(' ')}`);
  });
  return bad;
}

/** Vocabularies whose conformance cases run against the vocab GGUF itself. */
const GGUF_VOCABS = ['llama-spm', 'phi-3', 'gpt-2', 'falcon', 'mpt', 'starcoder', 'refact', 'deepseek-llm', 'deepseek-coder', 'bert-bge'];

/** Cases without a GGUF here, run against another file of the same vocabulary. */
const STAND_INS: Record<string, string> = {
  qwen2: '../shared/tokenizers/qwen2',
  // DeepSeek-R1-Distill-Qwen keeps Qwen2.5's BPE vocabulary and pre-tokenizer; only chat tokens differ.
  'deepseek-r1-qwen': '../shared/tokenizers/qwen2',
  // Llama 3's original tiktoken ranks: the vocabulary llama-bpe was converted from.
  'llama-bpe': '../shared/tokenizers/llama3/tokenizer.model',
};

/**
 * Expected outputs nothing here can reproduce, with the reason. The test fails when this list and the files
 * disagree, so that a gap can neither appear nor close unnoticed.
 */
const NOT_COVERED: Record<string, string> = {
  dbrx: 'its GGUF has a duplicated metadata key and is refused by the reader, as llama.cpp refuses it',
  chameleon: 'no Chameleon vocabulary here',
  'command-r': 'no Command-R vocabulary here',
  'roberta-bpe': 'no RoBERTa vocabulary here (its ids differ from GPT-2)',
  'phi-2': 'only .out here (no .inp, no vocabulary)',
  smollm: 'only .out here (no .inp, no vocabulary)',
  tekken: 'only .out here (no .inp, no vocabulary)',
};

for (const name of GGUF_VOCABS) {
  test(`GGUF vocab ${name}: every llama.cpp conformance case`, () => {
    const tok = withGGUF(`${VOCAB}/ggml-vocab-${name}.gguf`, tokenizerFromGGUF);
    assert.deepEqual(failures(tok, name), []);
  });
}

for (const [name, path] of Object.entries(STAND_INS)) {
  test(`vocab ${name} via ${path}: every llama.cpp conformance case`, () => {
    assert.deepEqual(failures(loadTokenizer(path), name), []);
  });
}

test('every .out in shared/vocab is covered or listed as not covered', () => {
  const outs = readdirSync(VOCAB)
    .filter((f) => f.endsWith('.gguf.out'))
    .map((f) => f.slice('ggml-vocab-'.length, -'.gguf.out'.length))
    .sort();
  const covered = new Set([...GGUF_VOCABS, ...Object.keys(STAND_INS)]);
  const uncovered = outs.filter((n) => !covered.has(n));
  assert.deepEqual(uncovered, Object.keys(NOT_COVERED).sort(), 'uncovered vocabularies changed');
  for (const n of uncovered) console.log(`not covered: ${n}: ${NOT_COVERED[n]}`);
  for (const n of GGUF_VOCABS) assert.ok(existsSync(`${VOCAB}/ggml-vocab-${n}.gguf`), `${n}: vocab GGUF missing`);
});
