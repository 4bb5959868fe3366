/**
 * Tokenizer throughput: encodes 1 MB of English (the GPL text of ../shared/reference/ppl/text.txt, repeated)
 * with a SentencePiece (llama) and a byte-level BPE (gpt2) vocabulary and prints MB/s. Target: under 1 s per MB.
 * Run: npx tsc -p . && node dist/bench/tokenizer.js
 */
import { readFileSync } from 'node:fs';
import { GGUFFile } from '../src/gguf/reader.js';
import { tokenizerFromGGUF } from '../src/tokenizer/gguf.js';

const MB = 1 << 20;
const source = readFileSync('../shared/reference/ppl/text.txt', 'utf8');
const text = source.repeat(Math.ceil(MB / source.length)).slice(0, MB);

for (const vocab of ['llama-spm', 'gpt-2']) {
  const file = GGUFFile.open(`../shared/vocab/ggml-vocab-${vocab}.gguf`);
  const tok = tokenizerFromGGUF(file);
  file.close();
  const t0 = performance.now();
  const ids = tok.encode(text);
  const seconds = (performance.now() - t0) / 1000;
  const mb = Buffer.byteLength(text) / MB;
  console.log(`${vocab.padEnd(10)} ${mb.toFixed(2)} MB -> ${ids.length} tokens in ${seconds.toFixed(3)} s: ${(mb / seconds).toFixed(2)} MB/s`);
}
