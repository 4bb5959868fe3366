import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFFile } from '../src/gguf/reader.js';
import { GGMLType } from '../src/tensor/ggml-type.js';

test('opens stories260K and reads its header', () => {
  const f = GGUFFile.open('../shared/models/stories260K.gguf');
  try {
    assert.equal(f.version, 3);
    assert.equal(f.get('general.architecture'), 'llama');
    const emb = f.tensor('token_embd.weight');
    assert.ok(emb);
    assert.deepEqual(emb.dims, [64, 512]);
    assert.equal(emb.type, GGMLType.F32);
    assert.equal(f.readTensor(emb).byteLength, 64 * 512 * 4);
  } finally {
    f.close();
  }
});
