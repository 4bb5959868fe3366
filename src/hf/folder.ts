import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail, systemErrorText } from '../errors.js';

const WHAT_TO_PASS = 'pass a GGUF file, or a folder with config.json, safetensors weights and tokenizer.json';

/** Refuses a path that is not an existing folder, saying which it is (absent, a file, unreadable). */
export function requireFolder(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail('MISSING', code === 'ENOENT' ? `${dir} does not exist` : `cannot open ${dir}: ${systemErrorText(e)}`);
  }
  if (!isDir) fail('BAD_ARGUMENT', `${dir} is not a folder: expected a Hugging Face model folder (config.json, safetensors weights, tokenizer.json)`);
}

/**
 * Refuses a folder that is not a Hugging Face model folder before anything looks for weights in it: without
 * config.json, a missing-safetensors message would send the user after the wrong file.
 */
export function requireHFModelFolder(dir: string): void {
  requireFolder(dir);
  if (!existsSync(join(dir, 'config.json'))) fail('MISSING', `${dir} is not a Hugging Face model folder (no config.json): ${WHAT_TO_PASS}`);
}
