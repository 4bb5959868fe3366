import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RealizarError } from '../src/errors.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { tokenizerFromGGUF } from '../src/tokenizer/gguf.js';
import { tokenizerFromHF, tokenizerFromHFFolder } from '../src/tokenizer/hf.js';
import { loadTokenizer } from '../src/tokenizer/index.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { Unigram } from '../src/tokenizer/unigram.js';
import { TokenType, Vocab } from '../src/tokenizer/vocab.js';
import { Bytes, kvStr, rawGGUF, T, tempDir, writeTemp, type RawKV } from './gguf-bytes.js';
import { withGGUF } from './helpers/gguf-file.js';
import { isError } from './helpers/refusal.js';

const gguf = (name: string): Tokenizer => withGGUF(`../shared/vocab/ggml-vocab-${name}.gguf`, tokenizerFromGGUF);

const spm = gguf('llama-spm');
const gpt2 = gguf('gpt-2');

test('prompts of every reference model tokenize to llama.cpp ids, greedy ids stream to llama.cpp text', () => {
  const dir = '../shared/reference/logits';
  const refs = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(refs.length >= 18, 'reference logits JSON files missing');
  const byModel = new Map<string, Tokenizer>();
  for (const ref of refs) {
    const r = JSON.parse(readFileSync(join(dir, ref), 'utf8'));
    const model = ref.replace(/\.\d+\.json$/, '');
    let tok = byModel.get(model);
    if (tok === undefined) {
      tok = loadTokenizer(`../shared/models/${model}.gguf`);
      byModel.set(model, tok);
    }
    assert.deepEqual(tok.encode(r.prompt), r.prompt_ids, `${ref}: prompt ids`);
    const stream = tok.streamDecoder();
    const text = r.greedy_ids.map((id: number) => stream.push(id)).join('') + stream.flush();
    assert.equal(text, r.greedy_text, `${ref}: greedy text`);
  }
});

test('decode(encode(s)) == s on the conformance inputs (SentencePiece and byte-level BPE)', () => {
  const inputs = readFileSync('../shared/vocab/ggml-vocab-llama-spm.gguf.inp', 'utf8').split('\n__ggml_vocab_test__\n');
  for (const s of inputs) {
    assert.equal(spm.decode(spm.encode(s), { skipSpecial: true }), s, `spm: ${JSON.stringify(s)}`);
    assert.equal(gpt2.decode(gpt2.encode(s)), s, `gpt2: ${JSON.stringify(s)}`);
  }
});

test('the stream decoder holds back partial UTF-8 and renders invalid bytes as U+FFFD', () => {
  // 🦙 is F0 9F A6 99: byte-fallback tokens <0xF0> <0x9F> <0xA6> <0x99> in the llama vocabulary.
  const ids = spm.encode('🦙', { addBos: false });
  assert.deepEqual(ids, [29871, 243, 162, 169, 156]);
  const s = spm.streamDecoder();
  assert.deepEqual(ids.map((id) => s.push(id)), [' ', '', '', '', '🦙']);
  assert.equal(s.flush(), '');
  const broken = spm.streamDecoder();
  assert.equal(broken.push(243), '');
  assert.equal(broken.push(15043), '\uFFFD Hello');
  assert.equal(broken.push(243) + broken.flush(), '\uFFFD');
});

test('lone surrogates are tokenized as U+FFFD, like llama.cpp sees invalid UTF-8', () => {
  for (const tok of [spm, gpt2]) {
    assert.deepEqual(tok.encode('a\uD800b'), tok.encode('a\uFFFDb'));
    assert.deepEqual(tok.encode('\uDC00'), tok.encode('\uFFFD'));
  }
});

test('control tokens are matched only with parseSpecial; user-defined ones always (phi-3 </s> eats the space after)', () => {
  const qwen = tokenizerFromHFFolder('../shared/tokenizers/qwen2');
  // Ids from the folder's added_tokens.json.
  assert.deepEqual(qwen.encode('<|im_start|>user', { parseSpecial: true }), [151644, 872]);
  assert.ok(!qwen.encode('<|im_start|>user').includes(151644));
  assert.ok(qwen.isEndOfGeneration(151645) && qwen.isEndOfGeneration(151643) && !qwen.isEndOfGeneration(872));
  assert.equal(qwen.eosId, 151645);

  const phi3 = gguf('phi-3');
  // ▁Hello = 15043, </s> = 2 (user-defined in this file), ▁world = 3186 (llama.cpp's conformance output).
  assert.deepEqual(phi3.encode('Hello</s> world', { addBos: false }), [15043, 2, 3186]);
  assert.deepEqual(spm.encode('Hello</s> world', { addBos: false, parseSpecial: true }), [15043, 2, 29871, 3186]);
  assert.notDeepEqual(spm.encode('Hello</s> world', { addBos: false }).slice(1, 2), [2]);
});

test('BOS/EOS follow the model flags unless the caller overrides them', () => {
  assert.equal(spm.encode('Hi')[0], 1);
  assert.notEqual(spm.encode('Hi', { addBos: false })[0], 1);
  assert.equal(spm.encode('Hi', { addEos: true }).at(-1), 2);
  assert.deepEqual(gpt2.encode('Hi'), [17250]);
  const bge = gguf('bert-bge');
  assert.deepEqual(bge.encode('hi'), [101, 7632, 102]);
  assert.deepEqual(bge.encode('hi', { addBos: false, addEos: false }), [7632]);
  assert.throws(() => tokenizerFromHFFolder('../shared/tokenizers/qwen2').encode('x', { addBos: true }), (e: unknown) => e instanceof RealizarError && e.code === 'BAD_ARGUMENT');
});

test('100 kB of spaces or of one letter tokenizes in linear time', () => {
  for (const tok of [spm, gpt2]) {
    for (const s of [' '.repeat(100_000), 'a'.repeat(100_000), 'ab '.repeat(33_000)]) {
      const t0 = performance.now();
      const ids = tok.encode(s, { addBos: false });
      const ms = performance.now() - t0;
      assert.ok(ids.length > 0);
      assert.equal(tok.decode(ids, { skipSpecial: true }), s);
      // Quadratic merging takes minutes here; linear-logarithmic well under a second.
      assert.ok(ms < 5000, `${ms.toFixed(0)} ms for ${JSON.stringify(s.slice(0, 3))}...`);
    }
  }
});

/** Best segmentation by exhaustive search in float64: the oracle for the Viterbi search. */
function bruteForce(text: string, pieces: Map<string, number>): { ids: string[]; score: number } {
  if (text.length === 0) return { ids: [], score: 0 };
  let best = { ids: [] as string[], score: -Infinity };
  for (let n = 1; n <= text.length; n++) {
    const head = text.slice(0, n);
    const s = pieces.get(head);
    if (s === undefined) continue;
    const rest = bruteForce(text.slice(n), pieces);
    if (s + rest.score > best.score) best = { ids: [head, ...rest.ids], score: s + rest.score };
  }
  return best;
}

test('Unigram finds the highest-scoring segmentation (checked against exhaustive search)', () => {
  const pieces = new Map<string, number>([
    ['a', -3], ['b', -3.5], ['c', -4], ['ab', -5], ['bc', -4.5], ['abc', -9.8], ['ca', -6], ['cab', -8], ['aa', -5.9], ['bca', -7.1],
  ]);
  const texts = ['<unk>', ...pieces.keys()];
  const vocab = new Vocab(texts, texts.map((_, i) => (i === 0 ? TokenType.UNKNOWN : TokenType.NORMAL)), Float32Array.from([0, ...pieces.values()]), 'test vocab');
  const unigram = new Unigram(vocab, 0);
  for (const text of ['abc', 'abcabc', 'cabca', 'aabca', 'bcabcab', 'ccc', 'abcaab']) {
    const out: number[] = [];
    unigram.encode(text, out);
    assert.deepEqual(out.map((id) => texts[id]), bruteForce(text, pieces).ids, text);
  }
  const out: number[] = [];
  unigram.encode('axyb', out);
  assert.deepEqual(out.map((id) => texts[id]), ['a', '<unk>', 'b'], 'unknown characters fuse into one <unk>');

  // With byte fallback the unknown run is spelled in <0xNN> tokens: "é" is C3 A9, "x" 78.
  const withBytes = [...texts, '<0x78>', '<0xC3>', '<0xA9>'];
  const byteVocab = new Vocab(withBytes, withBytes.map((t, i) => (i === 0 ? TokenType.UNKNOWN : t.startsWith('<0x') ? TokenType.BYTE : TokenType.NORMAL)), Float32Array.from([0, ...pieces.values(), 0, 0, 0]), 'test vocab');
  const bytes: number[] = [];
  new Unigram(byteVocab, 0, true).encode('aéxb', bytes);
  assert.deepEqual(bytes.map((id) => withBytes[id]), ['a', '<0xC3>', '<0xA9>', '<0x78>', 'b']);
});

const strArray = (key: string, items: string[]): RawKV => ({
  key,
  value: (b: Bytes) => {
    b.u32(T.ARR).u32(T.STR).u64(items.length);
    for (const s of items) b.str(s);
  },
});

test('GGUF files without tokenizer keys, or with an unknown model or pre-tokenizer, are refused by name', () => {
  const dir = tempDir('tokenizer');
  const cases: [string, RawKV[], string, RegExp][] = [
    ['no-tokenizer.gguf', [kvStr('general.architecture', 'llama')], 'MISSING', /tokenizer\.ggml\.model is missing/],
    ['no-tokens.gguf', [kvStr('tokenizer.ggml.model', 'llama')], 'MISSING', /tokenizer\.ggml\.tokens is missing/],
    ['bad-model.gguf', [kvStr('tokenizer.ggml.model', 'wordsmith'), strArray('tokenizer.ggml.tokens', ['a'])], 'UNSUPPORTED', /unknown tokenizer.*'wordsmith'/],
    ['no-merges.gguf', [kvStr('tokenizer.ggml.model', 'gpt2'), strArray('tokenizer.ggml.tokens', ['a'])], 'MISSING', /tokenizer\.ggml\.merges is missing/],
    [
      'bad-pre.gguf',
      [kvStr('tokenizer.ggml.model', 'gpt2'), strArray('tokenizer.ggml.tokens', ['a']), strArray('tokenizer.ggml.merges', []), kvStr('tokenizer.ggml.pre', 'klingon')],
      'UNSUPPORTED',
      /unknown pre-tokenizer.*'klingon'/,
    ],
  ];
  for (const [name, kvs, code, message] of cases) {
    const f = GGUFFile.open(writeTemp(dir, name, rawGGUF({ kvs })));
    try {
      assert.throws(() => tokenizerFromGGUF(f), isError(code, message), name);
    } finally {
      f.close();
    }
  }
});

test('malformed tokenizer.json files are refused with the path of what is wrong', () => {
  const dir = tempDir('tokenizer-json');
  const cases: [unknown, string, RegExp][] = [
    ['{"model": ', 'BAD_FILE', /not valid JSON/],
    [{ added_tokens: [] }, 'BAD_FILE', /\$\.model is missing/],
    [{ model: { type: 'Telepathy', vocab: {} } }, 'UNSUPPORTED', /model type 'Telepathy'/],
    [{ model: { type: 'BPE', vocab: { a: 0 }, merges: [7] } }, 'BAD_FILE', /\$\.model\.merges\[0\] must be a 'left right' string/],
    [{ model: { type: 'BPE', vocab: { a: 'zero' }, merges: [] } }, 'BAD_FILE', /\$\.model\.vocab\.a must be a number/],
    [{ model: { type: 'BPE', vocab: { a: 0 }, merges: [] }, normalizer: { type: 'Klingon' } }, 'UNSUPPORTED', /normalizer type 'Klingon'/],
    [{ model: { type: 'BPE', vocab: { a: 4e9 }, merges: [] } }, 'BAD_FILE', /token id 4000000000 is far beyond/],
    [{ model: { type: 'BPE', vocab: { a: 0 }, merges: [] }, pre_tokenizer: { type: 'Split', pattern: { Regex: '(' } } }, 'UNSUPPORTED', /cannot compile pattern/],
  ];
  cases.forEach(([content, code, message], i) => {
    const path = join(dir, `t${i}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    assert.throws(() => tokenizerFromHF(path), isError(code, message), `case ${i}`);
  });
  assert.throws(() => tokenizerFromHF(join(dir, 'absent.json')), isError('MISSING', /cannot read/));
});

test('a Unigram tokenizer.json with Metaspace and a WordPiece one with BertNormalizer work end to end', () => {
  const dir = tempDir('tokenizer-hf-models');
  const unigramPath = join(dir, 'unigram.json');
  writeFileSync(
    unigramPath,
    JSON.stringify({
      added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '</s>', special: true }],
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }], special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } } },
      model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['</s>', 0], ['▁he', -2], ['llo', -2], ['▁hello', -3], ['▁', -1], ['h', -4], ['e', -4], ['l', -4], ['o', -4], ['▁world', -3]] },
    }),
  );
  const uni = tokenizerFromHF(unigramPath);
  // ▁hello (-3) beats ▁he + llo (-4); "world" has its own piece; EOS from the template.
  assert.deepEqual(uni.encode('hello world'), [4, 10, 1]);
  assert.equal(uni.decode([4, 10, 1], { skipSpecial: true }), 'hello world');

  const wpPath = join(dir, 'wordpiece.json');
  writeFileSync(
    wpPath,
    JSON.stringify({
      added_tokens: [{ id: 0, content: '[UNK]', special: true }, { id: 1, content: '[CLS]', special: true }, { id: 2, content: '[SEP]', special: true }],
      normalizer: { type: 'BertNormalizer', lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', cls: ['[CLS]', 1], sep: ['[SEP]', 2] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, cafe: 3, un: 4, '##believ': 5, '##able': 6, '!': 7 } },
    }),
  );
  const wp = tokenizerFromHF(wpPath);
  assert.deepEqual(wp.encode('Unbelievable CAFÉ!'), [1, 4, 5, 6, 3, 7, 2]);
  assert.deepEqual(wp.encode('xyz'), [1, 0, 2]);
  assert.equal(wp.decode([1, 4, 5, 6, 3, 7, 2], { skipSpecial: true }), 'unbelievable cafe!');
});

test('realizar tokenize prints ids and pieces, as JSON on request, and refuses a missing model in one line', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/realizar.js', 'tokenize', ...args], { encoding: 'utf8' });
  const json = run('-m', '../shared/models/stories260K.gguf', '--json', 'Once upon a time');
  assert.equal(json.status, 0, json.stderr);
  const ref = JSON.parse(readFileSync('../shared/reference/logits/stories260K.0.json', 'utf8'));
  assert.deepEqual(JSON.parse(json.stdout).ids, ref.prompt_ids);
  const plain = run('-m', '../shared/tokenizers/qwen2', '--parse-special', '--no-bos', '<|im_end|>');
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /151645 -> "<\|im_end\|>"/);
  const missing = run('-m', '../shared/nope.gguf', 'x');
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /nope\.gguf does not exist/);
});

test('Hugging Face "normalized" added tokens are matched after the normalizer ran; llama.cpp matches before', () => {
  // TinyLlama's tokenizer.json marks <s> normalized: its Prepend(▁) applies to the whole stretch first, so the
  // text after <s> gets no ▁ (transformers' non-legacy behaviour); llama.cpp adds the prefix space after
  // every special token.
  const hf = tokenizerFromHFFolder('../shared/tokenizers/llama2-tinyllama');
  const pieces = (tok: Tokenizer, s: string) => tok.encode(s, { parseSpecial: true, addBos: false }).map((id) => tok.tokenText(id));
  assert.deepEqual(pieces(hf, 'Hello<s>world'), ['▁Hello', '<s>', 'world']);
  assert.deepEqual(pieces(spm, 'Hello<s>world'), ['▁Hello', '<s>', '▁world']);
  // Without parseSpecial neither matches it.
  assert.ok(!hf.encode('Hello<s>world').slice(1).includes(1));
});
