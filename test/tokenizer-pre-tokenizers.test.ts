import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ggufPreTokenizer, knownPreTokenizers } from '../src/tokenizer/pre-tokenizers.js';
import { compilePattern, splitIsolated } from '../src/tokenizer/regex.js';
import { loadTokenizer } from '../src/tokenizer/index.js';

const TEXT = readFileSync('../shared/vocab/ggml-vocab-llama-spm.gguf.inp', 'utf8') + ' <sentinel:12> IMGIMGABZ Ünïcödé 𝔘 ١٢٣ ‘quoted’ \u3000\u0085x';

test('every GGUF pre-tokenizer compiles and splits text into pieces that put it back together', () => {
  const names = knownPreTokenizers();
  assert.ok(names.length >= 40, `only ${names.length} pre-tokenizers`);
  for (const name of names) {
    const words = ggufPreTokenizer(name, 'test')(TEXT);
    assert.equal(words.join(''), TEXT, name);
    assert.ok(words.every((w) => w.length > 0), `${name}: empty piece`);
  }
});

test('pattern translation keeps Oniguruma meaning: \\s is Unicode White_Space, (?i:) and possessive quantifiers', () => {
  const split = (pattern: string, text: string) => splitIsolated([text], compilePattern(pattern, 'test'));
  // U+0085 is White_Space (JS \s lacks it); U+FEFF is not (JS \s has it).
  assert.deepEqual(split('\\s+', 'a\u0085b\uFEFFc'), ['a', '\u0085', 'b\uFEFFc']);
  assert.deepEqual(split('\\S+', 'a\u0085b'), ['a', '\u0085', 'b']);
  // \s+(?!\S) leaves the last space for the next word: GPT-2's "   x" -> "  ", " x".
  assert.deepEqual(split(" ?\\p{L}+|\\s+(?!\\S)|\\s+", '   x'), ['  ', ' x']);
  assert.deepEqual(split("(?i:'s|'ll)", "IT'S WE'LL it's"), ['IT', "'S", ' WE', "'LL", ' it', "'s"]);
  // Oniguruma's \d and \w are Unicode; punctuation may be escaped anywhere.
  assert.deepEqual(split('\\d+', 'a١٢3b'), ['a', '١٢3', 'b']);
  assert.deepEqual(split('\\w+', 'héllo wörld'), ['héllo', ' ', 'wörld']);
  assert.deepEqual(split("\\'s|[\\-\\']+", "it's -'"), ['it', "'s", ' ', "-'"]);
  // A possessive run never gives characters back: a++a cannot match, so each a falls to the second branch.
  assert.deepEqual(split('a++a|a', 'aaa'), ['a', 'a', 'a']);
  assert.deepEqual(split('a+a|a', 'aaa'), ['aaa']);
  assert.deepEqual(split('\\p{L}++b|c', 'aab c'), ['aab ', 'c']);
  assert.deepEqual(split('[xy]{1,2}+y|z', 'xy z'), ['xy ', 'z']);
  assert.deepEqual(split('[xy]{1,2}y|z', 'xy z'), ['xy', ' ', 'z']);
});

test('a Hugging Face folder and the GGUF converted from it tokenize alike, and chat templates come along', () => {
  const hf = loadTokenizer('../shared/hf/llama-tiny-hf');
  const gguf = loadTokenizer('../shared/models/llama-tiny-shape-F16.gguf');
  for (const s of TEXT.split('__ggml_vocab_test__')) assert.deepEqual(hf.encode(s), gguf.encode(s), JSON.stringify(s));
  const qwen = loadTokenizer('../shared/tokenizers/qwen2');
  assert.match(qwen.chatTemplate ?? '', /<\|im_start\|>/);
});
