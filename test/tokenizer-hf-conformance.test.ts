import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tokenizerFromGGUF } from '../src/tokenizer/gguf.js';
import { tokenizerFromHFFolder } from '../src/tokenizer/hf.js';
import { loadTokenizer } from '../src/tokenizer/index.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { withGGUF } from './helpers/gguf-file.js';

const T = '../shared/tokenizers';

/** Tokenizers under test, by name: GGUF vocabularies and Hugging Face folders. */
const LOADERS: Record<string, () => Tokenizer> = {
  'hf:tinyllama': () => tokenizerFromHFFolder(`${T}/llama2-tinyllama`),
  'hf:gpt2': () => tokenizerFromHFFolder(`${T}/gpt2`),
  'hf:qwen2': () => tokenizerFromHFFolder(`${T}/qwen2`),
  'tiktoken:llama3': () => loadTokenizer(`${T}/llama3/tokenizer.model`),
  'sentencepiece:llama2': () => loadTokenizer(`${T}/llama2-tinyllama/llama2-sentencepiece.model`),
  'gguf:llama-spm': () => gguf('llama-spm'),
  'gguf:gpt-2': () => gguf('gpt-2'),
  'gguf:bert-bge': () => gguf('bert-bge'),
  'gguf:falcon': () => gguf('falcon'),
  'gguf:starcoder': () => gguf('starcoder'),
  // This GGUF predates tokenizer.ggml.pre (llama.cpp falls back to its 'default' list); GPT-NeoX's
  // tokenizer.json uses the GPT-2 pattern.
  'gguf:gpt-neox': () => gguf('gpt-neox', 'gpt-2'),
};

function gguf(name: string, pre?: string): Tokenizer {
  return withGGUF(`../shared/vocab/ggml-vocab-${name}.gguf`, (f) => tokenizerFromGGUF(f, { pre }));
}

const cache = new Map<string, Tokenizer>();
function load(name: string): Tokenizer {
  let t = cache.get(name);
  if (t === undefined) {
    t = LOADERS[name]!();
    cache.set(name, t);
  }
  return t;
}

/** One expected tokenization from transformers: ids with the model's special tokens, and decodings. */
interface Case {
  readonly id: string;
  readonly text: string;
  readonly ids: readonly number[];
  readonly decodedSkipSpecial?: string;
  readonly decodedWithSpecial?: string;
}

function json(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function multilingual(file: string): Case[] {
  const texts = new Map<string, string>(json(`${T}/conformance/inputs.json`).map((e: any) => [e.id, e.text]));
  return json(`${T}/conformance/${file}`).entries.map((e: any) => ({
    id: e.id,
    text: texts.get(e.id) ?? assert.fail(`${file}: input ${e.id} not in inputs.json`),
    ids: e.input_ids,
    decodedSkipSpecial: e.decoded_skip_special,
    decodedWithSpecial: e.decoded_with_special,
  }));
}

function encodedFile(file: string): Case[] {
  const e = json(`${T}/conformance/${file}`);
  return [{ id: file, text: e.text, ids: e.token_ids, decodedWithSpecial: e.decoded_text }];
}

function testsJson(model: string): Case[] {
  return json(`${T}/conformance/tokenizer_tests.json`)[model].map((e: any, i: number) => ({
    id: `${model}#${i}`,
    text: e.input,
    ids: e.encoded.input_ids,
    decodedSkipSpecial: e.decoded_without_special,
    decodedWithSpecial: e.decoded_with_special,
  }));
}

/** ggml's "text => ids" files (Hugging Face ids, no special tokens added). */
function textsFile(file: string): Case[] {
  return readFileSync(`${T}/texts/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.includes(' => '))
    .map((line, i) => {
      const at = line.lastIndexOf(' => ');
      return { id: `${file}:${i + 1}`, text: line.slice(0, at), ids: line.slice(at + 4).split(',').map(Number) };
    });
}

interface Dataset {
  readonly name: string;
  readonly cases: () => Case[];
  readonly tokenizers: readonly string[];
  /** Compare decode() with transformers' decodings too. */
  readonly decode: boolean;
  /** The decodings were made with clean_up_tokenization_spaces. */
  readonly cleanUpSpaces?: boolean;
}

const DATASETS: Dataset[] = [
  { name: 'tinyllama_multilingual.json', cases: () => multilingual('tinyllama_multilingual.json'), tokenizers: ['hf:tinyllama', 'gguf:llama-spm', 'sentencepiece:llama2'], decode: true },
  { name: 'gpt2_multilingual.json', cases: () => multilingual('gpt2_multilingual.json'), tokenizers: ['hf:gpt2', 'gguf:gpt-2'], decode: true },
  { name: 'qwen2_5_multilingual.json', cases: () => multilingual('qwen2_5_multilingual.json'), tokenizers: ['hf:qwen2'], decode: true },
  { name: 'bge_small_multilingual.json', cases: () => multilingual('bge_small_multilingual.json'), tokenizers: ['gguf:bert-bge'], decode: true },
  { name: 'llama_encoded.json', cases: () => encodedFile('llama_encoded.json'), tokenizers: ['hf:tinyllama', 'gguf:llama-spm'], decode: false },
  { name: 'gpt2_encoded_tokens.json', cases: () => encodedFile('gpt2_encoded_tokens.json'), tokenizers: ['hf:gpt2', 'gguf:gpt-2'], decode: false },
  { name: 'falcon_encoded.json', cases: () => encodedFile('falcon_encoded.json'), tokenizers: ['gguf:falcon'], decode: false },
  { name: 'bert_uncased_encoded.json', cases: () => encodedFile('bert_uncased_encoded.json'), tokenizers: ['gguf:bert-bge'], decode: false },
  { name: 'tokenizer_tests.json bert-base-uncased', cases: () => testsJson('bert-base-uncased'), tokenizers: ['gguf:bert-bge'], decode: true },
  { name: 'tokenizer_tests.json google-bert/bert-base-uncased', cases: () => testsJson('google-bert/bert-base-uncased'), tokenizers: ['gguf:bert-bge'], decode: true },
  { name: 'tokenizer_tests.json distilgpt2', cases: () => testsJson('distilgpt2'), tokenizers: ['hf:gpt2', 'gguf:gpt-2'], decode: true, cleanUpSpaces: true },
  { name: 'tokenizer_tests.json coreml-projects/Llama-2-7b-chat-coreml', cases: () => testsJson('coreml-projects/Llama-2-7b-chat-coreml'), tokenizers: ['hf:tinyllama', 'gguf:llama-spm'], decode: true },
  { name: 'tokenizer_tests.json tiiuae/falcon-7b', cases: () => testsJson('tiiuae/falcon-7b'), tokenizers: ['gguf:falcon'], decode: false },
  { name: 'llama_3.2_encoded.json', cases: () => encodedFile('llama_3.2_encoded.json'), tokenizers: ['tiktoken:llama3'], decode: true },
  {
    name: 'tokenizer_tests.json pcuenq/Llama-3.2-1B-Instruct-tokenizer',
    cases: () => testsJson('pcuenq/Llama-3.2-1B-Instruct-tokenizer'),
    tokenizers: ['tiktoken:llama3'],
    decode: true,
    cleanUpSpaces: true,
  },
  { name: 'texts/gpt-2.txt', cases: () => textsFile('gpt-2.txt'), tokenizers: ['hf:gpt2', 'gguf:gpt-2'], decode: false },
  { name: 'texts/gpt-j.txt', cases: () => textsFile('gpt-j.txt'), tokenizers: ['hf:gpt2'], decode: false },
  { name: 'texts/gpt-neox.txt', cases: () => textsFile('gpt-neox.txt'), tokenizers: ['gguf:gpt-neox'], decode: false },
  { name: 'texts/dolly-v2.txt', cases: () => textsFile('dolly-v2.txt'), tokenizers: ['gguf:gpt-neox'], decode: false },
];

/** Expected outputs with no matching tokenizer in ../shared; asserted so that the list cannot silently grow. */
const NOT_COVERED: Record<string, string> = {
  'roberta_base_multilingual.json': 'no RoBERTa vocabulary',
  't5_small_multilingual.json': 'no T5 tokenizer (SentencePiece Unigram with a precompiled charsmap)',
  't5_base_encoded.json': 'no T5 tokenizer',
  'gemma_encoded.json': 'no Gemma vocabulary',
  'whisper_tiny_en_encoded.json': 'no Whisper vocabulary',
  'whisper_large_v2_encoded.json': 'no Whisper vocabulary',
  'distilbert_cased_encoded.json': 'no multilingual cased BERT vocabulary',
  'tokenizer_tests.json pcuenq/gemma-tokenizer': 'no Gemma vocabulary',
  'tokenizer_tests.json openai/whisper-tiny.en': 'no Whisper vocabulary',
  'tokenizer_tests.json openai/whisper-large-v2': 'no Whisper vocabulary',
  'tokenizer_tests.json t5-base': 'no T5 tokenizer',
  'tokenizer_tests.json distilbert/distilbert-base-multilingual-cased': 'no multilingual cased BERT vocabulary',
  'texts/gpt-2-chinese.txt': 'no GPT-2 Chinese vocabulary',
  'texts/gpt-neox-japanese.txt': 'no GPT-NeoX Japanese vocabulary',
  'texts/polyglot-ko.txt': 'no Polyglot-Ko vocabulary',
  'texts/replit.txt': 'no Replit vocabulary',
  'texts/whisper.txt': 'no Whisper vocabulary',
  'texts/test-cases.txt': 'inputs only, no expected ids',
  'texts/starcoder.txt': 'made with an older StarCoder vocabulary: its ids are offset from the starcoder vocab GGUF (Hello = 8279 there, 8302 here)',
};

for (const d of DATASETS) {
  for (const name of d.tokenizers) {
    test(`${d.name} with ${name}: ids${d.decode ? ' and decodings' : ''} match transformers`, () => {
      const tok = load(name);
      const bad: string[] = [];
      for (const c of d.cases()) {
        const got = tok.encode(c.text);
        if (got.join(',') !== c.ids.join(',')) bad.push(`${c.id}: expected ${c.ids.join(' ')}\n   got ${got.join(' ')}`);
        if (!d.decode) continue;
        const cleanUpSpaces = d.cleanUpSpaces ?? false;
        const plain = tok.decode(c.ids, { skipSpecial: true, cleanUpSpaces });
        if (c.decodedSkipSpecial !== undefined && plain !== c.decodedSkipSpecial) bad.push(`${c.id}: decode without specials ${JSON.stringify(plain)}`);
        const full = tok.decode(c.ids, { cleanUpSpaces });
        if (c.decodedWithSpecial !== undefined && full !== c.decodedWithSpecial) bad.push(`${c.id}: decode with specials ${JSON.stringify(full)}`);
      }
      assert.deepEqual(bad, []);
    });
  }
}

test('every expected-output file in shared/tokenizers is covered or listed as not covered', () => {
  const files = [
    ...readdirSync(`${T}/conformance`).filter((f) => /_(multilingual|encoded|encoded_tokens)\.json$/.test(f)),
    ...Object.keys(json(`${T}/conformance/tokenizer_tests.json`)).map((k) => `tokenizer_tests.json ${k}`),
    ...readdirSync(`${T}/texts`).map((f) => `texts/${f}`),
  ].sort();
  const covered = new Set(DATASETS.map((d) => d.name));
  const uncovered = files.filter((f) => !covered.has(f));
  assert.deepEqual(uncovered, Object.keys(NOT_COVERED).sort());
  for (const f of uncovered) console.log(`not covered: ${f}: ${NOT_COVERED[f]}`);
});
