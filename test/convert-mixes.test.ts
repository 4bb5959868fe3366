import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseTensorTypes, type ModelShape } from '../src/convert/tensor-types.js';
import { fileTypeFromName } from '../src/convert/file-type.js';
import { GGMLType, typeName } from '../src/tensor/ggml-type.js';

/*
 * The per-tensor types llama.cpp's own llama_model_quantize chose for every K-quant mix on two random llama
 * GGUFs (n_embd 256, n_ff 768, head dim 32, vocab 32000), recorded from libllama of node-llama-cpp 3.22.1's
 * prebuilt binaries. Tensors not listed got the mix's default type (norms stay F32). Runs of one type are
 * written TYPE*count, one entry per layer in order.
 */
type Expected = Partial<Record<'token_embd' | 'output' | 'attn_v' | 'attn_output' | 'ffn_down', string>>;
const LLAMA_CPP: Record<string, Record<string, Expected>> = {
  // 12 layers, 8 heads / 2 KV heads (GQA 4), separate output.weight
  layers12Gqa4: {
    Q2_K: {output: 'Q6_K', attn_v: 'Q4_K*12', attn_output: 'Q3_K*12', ffn_down: 'Q3_K*12'},
    Q3_K_S: {output: 'Q6_K'},
    Q3_K_M: {output: 'Q6_K', attn_v: 'Q5_K*2 Q4_K*10', attn_output: 'Q4_K*12', ffn_down: 'Q4_K*12'},
    Q3_K_L: {output: 'Q6_K', attn_v: 'Q5_K*12', attn_output: 'Q5_K*12', ffn_down: 'Q5_K*12'},
    Q4_K_S: {output: 'Q6_K', attn_v: 'Q5_K*4 Q4_K*8', ffn_down: 'Q5_K Q4_K*11'},
    Q4_K_M: {output: 'Q6_K', attn_v: 'Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K*3', ffn_down: 'Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K*3'},
    Q5_K_S: {output: 'Q6_K'},
    Q5_K_M: {output: 'Q6_K', attn_v: 'Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K*3', ffn_down: 'Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K*3'},
    Q6_K: {},
  },
  // 32 layers, 8 heads / 4 KV heads (GQA 2), tied embeddings (no output.weight)
  layers32TiedGqa2: {
    Q2_K: {token_embd: 'Q6_K', attn_v: 'Q3_K*32', attn_output: 'Q3_K*32', ffn_down: 'Q3_K*32'},
    Q3_K_S: {token_embd: 'Q6_K'},
    Q3_K_M: {token_embd: 'Q6_K', attn_v: 'Q5_K*2 Q4_K*30', attn_output: 'Q4_K*32', ffn_down: 'Q5_K*2 Q4_K*30'},
    Q3_K_L: {token_embd: 'Q6_K', attn_v: 'Q5_K*32', attn_output: 'Q5_K*32', ffn_down: 'Q5_K*32'},
    Q4_K_S: {token_embd: 'Q6_K', attn_v: 'Q5_K*4 Q4_K*28', ffn_down: 'Q5_K*4 Q4_K*28'},
    Q4_K_M: {token_embd: 'Q6_K', attn_v: 'Q6_K*4 Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K*5', ffn_down: 'Q6_K*4 Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K Q4_K*2 Q6_K*5'},
    Q5_K_S: {token_embd: 'Q6_K'},
    Q5_K_M: {token_embd: 'Q6_K', attn_v: 'Q6_K*4 Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K*5', ffn_down: 'Q6_K*4 Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K Q5_K*2 Q6_K*5'},
    Q6_K: {},
  },
};

const MODELS: Record<string, ModelShape & { tied: boolean }> = {
  layers12Gqa4: { blockCount: 12, headCount: 8, headCountKv: 2, tied: false },
  layers32TiedGqa2: { blockCount: 32, headCount: 8, headCountKv: 4, tied: true },
};

function expand(runs: string): string[] {
  return runs.split(' ').flatMap((r) => {
    const [type, n] = r.split('*');
    return Array<string>(Number(n ?? 1)).fill(type!);
  });
}

/** The tensor list of a llama model of this shape, in GGUF's file order (the mix must not depend on it). */
function tensorsOf(m: ModelShape & { tied: boolean }): { name: string; dims: number[]; currentType: GGMLType }[] {
  const kv = 32 * m.headCountKv;
  const list = [{ name: 'token_embd.weight', dims: [256, 32000], currentType: GGMLType.F16 }];
  for (let l = 0; l < m.blockCount; l++) {
    const b = `blk.${l}.`;
    list.push(
      { name: `${b}attn_norm.weight`, dims: [256], currentType: GGMLType.F32 },
      { name: `${b}attn_q.weight`, dims: [256, 256], currentType: GGMLType.F16 },
      { name: `${b}attn_k.weight`, dims: [256, kv], currentType: GGMLType.F16 },
      { name: `${b}attn_v.weight`, dims: [256, kv], currentType: GGMLType.F16 },
      { name: `${b}attn_output.weight`, dims: [256, 256], currentType: GGMLType.F16 },
      { name: `${b}ffn_norm.weight`, dims: [256], currentType: GGMLType.F32 },
      { name: `${b}ffn_gate.weight`, dims: [256, 768], currentType: GGMLType.F16 },
      { name: `${b}ffn_up.weight`, dims: [256, 768], currentType: GGMLType.F16 },
      { name: `${b}ffn_down.weight`, dims: [768, 256], currentType: GGMLType.F16 },
    );
  }
  list.push({ name: 'output_norm.weight', dims: [256], currentType: GGMLType.F32 });
  if (!m.tied) list.push({ name: 'output.weight', dims: [256, 32000], currentType: GGMLType.F16 });
  return list;
}

for (const [modelName, mixes] of Object.entries(LLAMA_CPP)) {
  const model = MODELS[modelName]!;
  for (const [mix, expected] of Object.entries(mixes)) {
    test(`${mix} on ${modelName}: the per-tensor types llama.cpp chose`, () => {
      const { fileType, defaultType } = fileTypeFromName(mix);
      const tensors = tensorsOf(model);
      const got = chooseTensorTypes(model, tensors, fileType, defaultType, false);
      const want = new Map<string, string>();
      for (const t of tensors) want.set(t.name, t.dims.length === 1 ? 'F32' : typeName(defaultType));
      if (expected.token_embd !== undefined) want.set('token_embd.weight', expected.token_embd);
      if (expected.output !== undefined) want.set('output.weight', expected.output);
      for (const kind of ['attn_v', 'attn_output', 'ffn_down'] as const) {
        const runs = expected[kind];
        if (runs === undefined) continue;
        const perLayer = expand(runs);
        assert.equal(perLayer.length, model.blockCount, `${kind} lists every layer`);
        perLayer.forEach((type, l) => want.set(`blk.${l}.${kind}.weight`, type));
      }
      assert.deepEqual(Object.fromEntries([...got].map(([n, t]) => [n, typeName(t)])), Object.fromEntries(want));
    });
  }
}
