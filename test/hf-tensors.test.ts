import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGUFFile } from '../src/gguf/reader.js';
import { SafeTensorsCheckpoint } from '../src/safetensors/checkpoint.js';
import { SafeTensorsFile } from '../src/safetensors/reader.js';
import { readHFConfig } from '../src/hf/config.js';
import { hfTensors } from '../src/hf/tensors.js';
import { permuteRotateHalfToInterleaved } from '../src/hf/rope-permute.js';
import { GGMLType, typeName } from '../src/tensor/ggml-type.js';
import { halfValue } from './helpers/half.js';
import { safetensorsOf } from './helpers/safetensors-bytes.js';

const HF = '../shared/hf/llama-tiny-hf';
const GGUF = '../shared/models/llama-tiny-shape-F16.gguf';

test('llama-tiny-hf gives llama-tiny-shape-F16.gguf tensor for tensor, byte for byte', () => {
  const ck = SafeTensorsCheckpoint.open(HF);
  const g = GGUFFile.open(GGUF);
  try {
    const tensors = hfTensors(ck, readHFConfig(HF));
    // Same names in the same order as the GGUF (which llama.cpp's gguf-py wrote).
    assert.deepEqual(tensors.map((t) => t.name), g.tensors.map((t) => t.name));
    for (const t of tensors) {
      const ref = g.tensor(t.name)!;
      assert.equal(typeName(t.naturalType), typeName(ref.type), t.name);
      assert.deepEqual(t.dims, ref.dims, t.name);
      assert.ok(Buffer.from(t.readAs(t.naturalType)).equals(Buffer.from(g.readTensor(ref))), `bytes of ${t.name}`);
    }
  } finally {
    ck.close();
    g.close();
  }
});

test('Q and K rows differ from the checkpoint until permuted: the permutation is what makes them equal', () => {
  const ck = SafeTensorsCheckpoint.open(HF);
  const g = GGUFFile.open(GGUF);
  try {
    for (const [hfName, name, heads] of [
      ['model.layers.0.self_attn.q_proj.weight', 'blk.0.attn_q.weight', 8],
      ['model.layers.3.self_attn.k_proj.weight', 'blk.3.attn_k.weight', 4],
    ] as const) {
      const raw = ck.read(hfName);
      const ref = Buffer.from(g.readTensor(g.tensor(name)!));
      assert.ok(!Buffer.from(raw).equals(ref), `${hfName} is stored rotate-half`);
      const rows = ck.tensor(hfName)!.shape[0]!;
      assert.ok(Buffer.from(permuteRotateHalfToInterleaved(raw, rows, heads)).equals(ref), name);
    }
  } finally {
    ck.close();
    g.close();
  }
});

test('permutation on a hand-made head: rows [a0 a1 a2 a3 | b0 b1 b2 b3] of one head of 8 become a0 b0 a1 b1 ...', () => {
  // One byte per row, two heads of 8 rows: head h row r holds 16h + r.
  const src = Uint8Array.from({ length: 16 }, (_, i) => i);
  const out = permuteRotateHalfToInterleaved(src, 16, 2);
  assert.deepEqual([...out], [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]);
});

/** Writes a BF16 copy of a safetensors file: every F16 tensor converted through f64 arithmetic (not our f16 code). */
function bf16Copy(src: string, dst: string): void {
  const f = SafeTensorsFile.open(src);
  try {
    const tensors = f.tensors.map((t) => {
      let bytes = Buffer.from(f.read(t));
      let dtype: string = t.dtype;
      if (t.dtype === 'F16') {
        const out = Buffer.alloc(bytes.length);
        for (let i = 0; i < t.count; i++) {
          const v = halfValue(bytes.readUInt16LE(2 * i));
          // Every half is exactly a float32; its top 16 bits are bf16 after round-to-nearest-even of the low 16.
          const w = Buffer.alloc(4);
          w.writeFloatLE(v);
          const bits = w.readUInt32LE();
          const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
          out.writeUInt16LE(rounded & 0xffff, 2 * i);
        }
        bytes = out;
        dtype = 'BF16';
      }
      return { name: t.name, dtype, shape: t.shape, bytes };
    });
    writeFileSync(dst, safetensorsOf(tensors));
  } finally {
    f.close();
  }
}

test('a BF16 shard loads as BF16 matrices whose values round-trip to the F16 originals within bf16 precision (2^-8 relative)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-bf16-'));
  try {
    for (const f of ['config.json', 'model.safetensors.index.json']) copyFileSync(join(HF, f), join(dir, f));
    copyFileSync(join(HF, 'model-00002-of-00002.safetensors'), join(dir, 'model-00002-of-00002.safetensors'));
    bf16Copy(join(HF, 'model-00001-of-00002.safetensors'), join(dir, 'model-00001-of-00002.safetensors'));
    const ck = SafeTensorsCheckpoint.open(dir);
    const g = GGUFFile.open(GGUF);
    try {
      const tensors = hfTensors(ck, readHFConfig(dir));
      const q = tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
      assert.equal(q.naturalType, GGMLType.BF16);
      const norm = tensors.find((t) => t.name === 'blk.0.attn_norm.weight')!;
      assert.equal(norm.naturalType, GGMLType.F32);
      // The F32 view of the BF16 matrix must equal the GGUF's F16 values to bf16's 8 significant bits
      // (round to nearest: relative error at most 2^-8), and must not be the F16 values themselves.
      const got = new Float32Array(q.readAs(GGMLType.F32).slice().buffer);
      const refBytes = g.readTensor(g.tensor('blk.0.attn_q.weight')!);
      const ref = new DataView(refBytes.buffer, refBytes.byteOffset);
      let maxRel = 0;
      for (let i = 0; i < got.length; i++) {
        const v = halfValue(ref.getUint16(2 * i, true));
        if (v !== 0) maxRel = Math.max(maxRel, Math.abs(got[i]! - v) / Math.abs(v));
      }
      assert.ok(maxRel > 0 && maxRel <= 2 ** -8, `relative error ${maxRel}`);
      // BF16 bytes pass through untouched when asked for BF16.
      const bf = q.readAs(GGMLType.BF16);
      assert.equal(bf.byteLength, 256 * 256 * 2);
    } finally {
      ck.close();
      g.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown tensor in the checkpoint is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-unk-'));
  try {
    copyFileSync(join(HF, 'config.json'), join(dir, 'config.json'));
    const weird = { name: 'model.layers.0.mlp.weird.weight', dtype: 'F16', shape: [2, 2], bytes: new Uint8Array(8) };
    writeFileSync(join(dir, 'model.safetensors'), safetensorsOf([weird]));
    const ck = SafeTensorsCheckpoint.open(dir);
    try {
      assert.throws(() => hfTensors(ck, readHFConfig(dir)), /model\.safetensors: tensor 'model\.layers\.0\.mlp\.weird\.weight' has no GGUF equivalent/);
    } finally {
      ck.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
