/** Reading the shared GGUF files in tests: opened for one use and always closed. */
import assert from 'node:assert/strict';
import { GGUFFile } from '../../src/gguf/reader.js';
import type { GGUFTensorInfo } from '../../src/gguf/types.js';
import { typeName } from '../../src/tensor/ggml-type.js';

export function withGGUF<T>(path: string, use: (f: GGUFFile) => T): T {
  const f = GGUFFile.open(path);
  try {
    return use(f);
  } finally {
    f.close();
  }
}

/** Both files hold the same tensors, in the same order, with the same types, shapes and bytes. */
export function assertSameTensors(actualPath: string, expectedPath: string): void {
  withGGUF(actualPath, (a) =>
    withGGUF(expectedPath, (e) => {
      assert.deepEqual(a.tensors.map((t) => t.name), e.tensors.map((t) => t.name));
      for (const et of e.tensors) {
        const at = tensorOf(a, et.name);
        assert.equal(typeName(at.type), typeName(et.type), et.name);
        assert.deepEqual(at.dims, et.dims, et.name);
        assert.ok(Buffer.from(a.readTensor(at)).equals(Buffer.from(e.readTensor(et))), `bytes of ${et.name}`);
      }
    }),
  );
}

/** The tensor `name`; a file without it fails the test by name. */
export function tensorOf(f: GGUFFile, name: string): GGUFTensorInfo {
  const info = f.tensor(name);
  assert.ok(info, `${f.path} has no tensor ${name}`);
  return info;
}
