import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../errors.js';
import { GGUFFile } from '../gguf/reader.js';
import { tokenizerFromGGUF } from './gguf.js';
import { tokenizerFromHF, tokenizerFromHFFolder } from './hf.js';
import type { TextTokenizer } from './text-tokenizer.js';

export { tokenizerFromGGUF } from './gguf.js';
export { tokenizerFromHF, tokenizerFromHFFolder } from './hf.js';
export type { TextTokenizer } from './text-tokenizer.js';

/**
 * The tokenizer of a .gguf file, a tokenizer.json (or vocab.json) with the tokenizer_config.json beside it,
 * or a Hugging Face folder.
 */
export function loadTokenizer(path: string): TextTokenizer {
  if (!existsSync(path)) fail('MISSING', `${path} does not exist`);
  if (statSync(path).isDirectory()) return tokenizerFromHFFolder(path);
  if (path.endsWith('.json')) {
    const config = join(dirname(path), 'tokenizer_config.json');
    return tokenizerFromHF(path, existsSync(config) ? config : undefined);
  }
  const file = GGUFFile.open(path);
  try {
    return tokenizerFromGGUF(file);
  } finally {
    file.close();
  }
}
