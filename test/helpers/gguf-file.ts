/** Reading the shared GGUF files in tests: opened for one use and always closed. */
import assert from 'node:assert/strict';
import { GGUFFile } from '../../src/gguf/reader.js';
import type { GGUFTensorInfo } from '../../src/gguf/types.js';

export function withGGUF<T>(path: string, use: (f: GGUFFile) => T): T {
  const f = GGUFFile.open(path);
  try {
    return use(f);
  } finally {
    f.close();
  }
}

/** The tensor `name`; a file without it fails the test by name. */
export function tensorOf(f: GGUFFile, name: string): GGUFTensorInfo {
  const info = f.tensor(name);
  assert.ok(info, `${f.path} has no tensor ${name}`);
  return info;
}
