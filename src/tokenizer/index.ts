import { closeSync, existsSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../errors.js';
import { GGUFFile } from '../gguf/reader.js';
import { GGUF_MAGIC } from '../gguf/types.js';
import { openForReading } from '../io/open-for-reading.js';
import { tokenizerFromSentencePiece } from './sentencepiece-model.js';
import { isTiktokenFile, tokenizerFromTiktoken } from './tiktoken.js';
import { tokenizerFromGGUF } from './gguf.js';
import { tokenizerFromHF, tokenizerFromHFFolder } from './hf.js';
import type { TextTokenizer } from './text-tokenizer.js';

export { tokenizerFromGGUF } from './gguf.js';
export { tokenizerFromHF, tokenizerFromHFFolder } from './hf.js';
export { tokenizerFromSentencePiece } from './sentencepiece-model.js';
export { tokenizerFromTiktoken } from './tiktoken.js';
export type { TextTokenizer } from './text-tokenizer.js';

/**
 * The tokenizer of a .gguf file, a tokenizer.json (or vocab.json) with the tokenizer_config.json beside it,
 * a Hugging Face folder, a SentencePiece tokenizer.model or a tiktoken rank file (Llama 3's tokenizer.model).
 */
export function loadTokenizer(path: string): TextTokenizer {
  if (!existsSync(path)) fail('MISSING', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const model = join(path, 'tokenizer.model');
    const hasJson = existsSync(join(path, 'tokenizer.json')) || existsSync(join(path, 'vocab.json'));
    return !hasJson && existsSync(model) ? loadTokenizer(model) : tokenizerFromHFFolder(path);
  }
  if (path.endsWith('.json')) {
    const config = join(dirname(path), 'tokenizer_config.json');
    return tokenizerFromHF(path, existsSync(config) ? config : undefined);
  }
  const head = Buffer.alloc(64);
  const fd = openForReading(path);
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32LE(0) === GGUF_MAGIC) {
    const file = GGUFFile.open(path);
    try {
      return tokenizerFromGGUF(file);
    } finally {
      file.close();
    }
  }
  return isTiktokenFile(head) ? tokenizerFromTiktoken(path) : tokenizerFromSentencePiece(path);
}
