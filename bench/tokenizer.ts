/**
 * Tokenizer throughput: encodes 1 MB of English (the GPL text of ../shared/reference/ppl/text.txt, repeated)
 * with SentencePiece (llama) and byte-level BPE (gpt2, Qwen2, Llama 3) vocabularies and prints MB/s.
 * Target: under 1 s per MB.
 * Run: npx tsc -p . && node dist/bench/tokenizer.js
 */
import { readFileSync } from 'node:fs';
import { GGUFFile } from '../src/gguf/reader.js';
import { tokenizerFromGGUF } from '../src/tokenizer/gguf.js';
import { loadTokenizer } from '../src/tokenizer/index.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';

const MB = 1 << 20;
const source = readFileSync('../shared/reference/ppl/text.txt', 'utf8');
const text = source.repeat(Math.ceil(MB / source.length)).slice(0, MB);

function gguf(vocab: string): Tokenizer {
  const file = GGUFFile.open(`../shared/vocab/ggml-vocab-${vocab}.gguf`);
  try {
    return tokenizerFromGGUF(file);
  } finally {
    file.close();
  }
}

const tokenizers: [string, () => Tokenizer][] = [
  ['llama-spm (GGUF)', () => gguf('llama-spm')],
  ['gpt-2 (GGUF)', () => gguf('gpt-2')],
  ['qwen2 (HF)', () => loadTokenizer('../shared/tokenizers/qwen2')],
  ['llama3 (tiktoken)', () => loadTokenizer('../shared/tokenizers/llama3/tokenizer.model')],
];

for (const [name, load] of tokenizers) {
  const tl = performance.now();
  const tok = load();
  const loadSeconds = (performance.now() - tl) / 1000;
  const t0 = performance.now();
  const ids = tok.encode(text);
  const seconds = (performance.now() - t0) / 1000;
  const mb = Buffer.byteLength(text) / MB;
  console.log(`${name.padEnd(18)} load ${loadSeconds.toFixed(2)} s; ${mb.toFixed(2)} MB -> ${ids.length} tokens in ${seconds.toFixed(3)} s: ${(mb / seconds).toFixed(2)} MB/s`);
}
