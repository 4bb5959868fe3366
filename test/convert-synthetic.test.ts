import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama as NativeLlama } from 'node-llama-cpp';
import { convertHF } from '../src/convert/convert-hf.js';
import { GGUFFile } from '../src/gguf/reader.js';
import { SafeTensorsFile } from '../src/safetensors/reader.js';
import { permuteRotateHalfToInterleaved } from '../src/hf/rope-permute.js';
import { openHFSource } from '../src/hf/source.js';
import { loadLlamaWeights } from '../src/model/llama-weights.js';
import { Llama } from '../src/model/llama.js';
import { JsBackend } from '../src/backend/js/backend.js';
import { safetensorsOf } from './helpers/safetensors-bytes.js';

/*
 * Tiny random Hugging Face folders of the other shapes we convert: Qwen2 (q/k/v biases, NeoX rope, tied
 * embeddings, byte-level BPE tokenizer) and Mistral (llama layout, BF16 weights, separate lm_head, llama3 rope
 * scaling). Each is
 * converted, loaded by llama.cpp (node-llama-cpp), and llama.cpp's logits must match our engine's on the folder.
 */

const H = 64;
const FF = 128;
const LAYERS = 2;
const HEADS = 4;
const KV_HEADS = 2;
const TOKENS = 50257; // GPT-2's tokenizer.json, used by both folders.
/** Embedding rows: Qwen2 pads them past the tokenizer (as real Qwen2 checkpoints do); the Mistral one matches. */
const vocabOf = (arch: string): number => (arch === 'Qwen2ForCausalLM' ? 50304 : TOKENS);
const PROMPT = 'The little dog ran to the park and';

/** Deterministic normal(0, sd) values (mulberry32 + Box-Muller). */
function randn(seed: number): (sd: number) => number {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (sd) => sd * Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

function toBF16(values: Float32Array): Buffer {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = Buffer.alloc(values.length * 2);
  // Truncation is a valid bf16 encoding of a nearby value; the model is random anyway.
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(bits[i]! >>> 16, 2 * i);
  return out;
}

/** Writes model.safetensors with the given [name, shape] tensors filled with random values. */
function writeWeights(dir: string, shapes: [string, number[]][], dtype: 'F32' | 'BF16', seed: number): void {
  const rnd = randn(seed);
  const tensors = shapes.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('norm.weight');
    const values = Float32Array.from({ length: n }, () => (isNorm ? 1 + rnd(0.1) : rnd(0.08)));
    return { name, dtype, shape, bytes: dtype === 'F32' ? Buffer.from(values.buffer) : toBF16(values) };
  });
  writeFileSync(join(dir, 'model.safetensors'), safetensorsOf(tensors, { format: 'pt' }));
}

function makeFolder(root: string, arch: 'Qwen2ForCausalLM' | 'MistralForCausalLM'): string {
  const dir = join(root, arch);
  mkdirSync(dir);
  const qwen = arch === 'Qwen2ForCausalLM';
  const headDim = H / HEADS;
  const vocab = vocabOf(arch);
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [vocab, H]]];
  for (let l = 0; l < LAYERS; l++) {
    const p = `model.layers.${l}.`;
    shapes.push([`${p}input_layernorm.weight`, [H]], [`${p}self_attn.q_proj.weight`, [H, H]], [`${p}self_attn.k_proj.weight`, [KV_HEADS * headDim, H]]);
    shapes.push([`${p}self_attn.v_proj.weight`, [KV_HEADS * headDim, H]], [`${p}self_attn.o_proj.weight`, [H, H]]);
    if (qwen) shapes.push([`${p}self_attn.q_proj.bias`, [H]], [`${p}self_attn.k_proj.bias`, [KV_HEADS * headDim]], [`${p}self_attn.v_proj.bias`, [KV_HEADS * headDim]]);
    shapes.push([`${p}post_attention_layernorm.weight`, [H]], [`${p}mlp.gate_proj.weight`, [FF, H]], [`${p}mlp.up_proj.weight`, [FF, H]], [`${p}mlp.down_proj.weight`, [H, FF]]);
  }
  shapes.push(['model.norm.weight', [H]]);
  if (!qwen) shapes.push(['lm_head.weight', [vocab, H]]);
  writeWeights(dir, shapes, qwen ? 'F32' : 'BF16', qwen ? 7 : 11);
  const config = {
    architectures: [arch],
    hidden_size: H,
    intermediate_size: FF,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    num_key_value_heads: KV_HEADS,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-6,
    rope_theta: qwen ? 1000000 : 10000,
    vocab_size: vocab,
    tie_word_embeddings: qwen,
    // Llama 3.1-style scaling with a short original context, so that all three bands matter within the test's
    // few dozen positions: llama.cpp reads it as the converted rope_freqs.weight, we from rope_scaling.
    rope_scaling: qwen ? null : { rope_type: 'llama3', factor: 4, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    bos_token_id: 50256,
    eos_token_id: 50256,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  copyFileSync('../shared/tokenizers/gpt2/tokenizer.json', join(dir, 'tokenizer.json'));
  copyFileSync('../shared/tokenizers/gpt2/tokenizer_config.json', join(dir, 'tokenizer_config.json'));
  return dir;
}

let root = '';
let native: NativeLlama;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'convert-synth-'));
  native = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, logLevel: 'error' as never });
});
after(async () => {
  await native?.dispose();
  rmSync(root, { recursive: true, force: true });
});

for (const arch of ['Qwen2ForCausalLM', 'MistralForCausalLM'] as const) {
  test(`${arch}: converted GGUF gives llama.cpp the logits our engine computes on the folder`, async () => {
    const dir = makeFolder(root, arch);
    const out = join(root, `${arch}.gguf`);
    convertHF(dir, out, 'f32');
    const g = GGUFFile.open(out);
    try {
      assert.equal(g.get('general.architecture'), arch === 'Qwen2ForCausalLM' ? 'qwen2' : 'llama');
      assert.equal(g.get('tokenizer.ggml.model'), 'gpt2');
      assert.equal(g.get('tokenizer.ggml.pre'), 'gpt-2');
      const tokens = g.get('tokenizer.ggml.tokens') as { items: string[] };
      assert.equal(tokens.items.length, vocabOf(arch), 'one token per embedding row');
      if (arch === 'Qwen2ForCausalLM') assert.equal(tokens.items[TOKENS], `[PAD${TOKENS}]`);
      assert.equal(g.tensor('output.weight') === undefined, arch === 'Qwen2ForCausalLM', 'tied embeddings write no output.weight');
      assert.equal(g.tensor('rope_freqs.weight') !== undefined, arch === 'MistralForCausalLM', 'llama3 rope scaling writes rope_freqs.weight');
      // qwen2 keeps Hugging Face's rotate-half Q/K rows (NeoX rope in GGUF too); llama-layout models get them permuted.
      const ck = SafeTensorsFile.open(join(dir, 'model.safetensors'));
      try {
        const raw = ck.values('model.layers.1.self_attn.k_proj.weight');
        const f32 = raw instanceof Float32Array ? raw : Float32Array.from(raw as Uint16Array, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!);
        const rawBytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
        const converted = Buffer.from(g.readTensor(g.tensor('blk.1.attn_k.weight')!));
        const expected = arch === 'Qwen2ForCausalLM' ? rawBytes : Buffer.from(permuteRotateHalfToInterleaved(rawBytes, KV_HEADS * (H / HEADS), KV_HEADS));
        assert.ok(converted.equals(expected), 'attn_k layout');
        assert.equal(converted.equals(rawBytes), arch === 'Qwen2ForCausalLM');
      } finally {
        ck.close();
      }
    } finally {
      g.close();
    }

    const source = openHFSource(dir);
    const backend = new JsBackend({ activations: 'exact' });
    const ours = new Llama(source.config, loadLlamaWeights(source, backend), backend);
    const ids = source.tokenizer.encode(PROMPT);
    source.close();

    const model = await native.loadModel({ modelPath: out });
    try {
      assert.deepEqual(model.tokenize(PROMPT).map(Number), ids, "llama.cpp's tokenization");
      const ctx = await model.createContext({ contextSize: 64, batchSize: 64, threads: 1 });
      const seq = ctx.getSequence();
      // Greedy continuation from llama.cpp, then our logits teacher-forced on the same tokens.
      const greedy: number[] = [];
      for await (const t of seq.evaluate(ids as never, { temperature: 0 })) {
        greedy.push(Number(t));
        if (greedy.length >= 8) break;
      }
      await ctx.dispose();
      const all = [...ids, ...greedy.slice(0, -1)];
      const logits = ours.forward(ours.newSequence(all.length), all, 'all');
      greedy.forEach((token, step) => {
        const vocab = vocabOf(arch);
        const row = logits.subarray((ids.length - 1 + step) * vocab, (ids.length + step) * vocab);
        let best = 0;
        for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
        assert.ok(row[best]! - row[token]! <= 1e-3, `step ${step}: llama.cpp chose ${token}, we prefer ${best} by ${row[best]! - row[token]!}`);
      });
    } finally {
      await model.dispose();
    }
  });
}
